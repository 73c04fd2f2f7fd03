-- Contract §2 accounting: for every inbox file, rows_read = rows_loaded + rows_quarantined
-- + rows_superseded, each term counted from the rows themselves (lake, quarantine).
select *
from {{ ref('mart_ingest_report') }}
where rows_read <> rows_loaded + rows_quarantined + rows_superseded
