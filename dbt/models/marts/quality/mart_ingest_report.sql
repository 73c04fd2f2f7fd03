{#- contract §2/§6 accounting, per inbox file: rows_read (manifest) = rows_loaded (rows
    that are the current version of their key) + rows_quarantined (ingest quarantine +
    future_date) + rows_superseded (older versions and exact duplicates). Each term is
    counted from the rows themselves; tests/assert_ingest_report_rows_balance.sql checks
    the sum against the manifest. -#}
with

files as (

    select * from {{ ref('stg_lake__files') }}

),

quarantined as (

    select * from {{ ref('stg_lake__quarantined_rows') }}

),

{% set versioned = [('grid_events', 'stg_grid_events__event_versions'),
                    ('inspections', 'stg_inspections__inspection_versions'),
                    ('cases', 'stg_cases__case_versions'),
                    ('notices', 'stg_notices__notice_versions'),
                    ('police_alarms', 'stg_police_alarms__alarm_versions')] %}

lake_rows as (

    {% for src, model in versioned %}
    select
        {{ dbt.string_literal(src) }} as source,
        _source_file as source_file,
        is_current_version,
        is_future_dated
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

lake_counts as (

    select
        source,
        source_file,
        sum(case when is_current_version then 1 else 0 end) as rows_loaded,
        sum(case when is_future_dated then 1 else 0 end) as rows_future_dated,
        sum(case when not is_current_version and not is_future_dated then 1 else 0 end) as rows_superseded
    from lake_rows
    group by source, source_file

),

quarantine_counts as (

    select
        source,
        source_file,
        count(*) as rows_quarantined_at_ingest
    from quarantined
    where reason <> 'unreadable_file'
    group by source, source_file

),

final as (

    select
        {{ dbt.cast('files.source', api.Column.translate_type('string')) }} as source,
        {{ dbt.cast('files.source_file', api.Column.translate_type('string')) }} as file,
        {{ dbt.cast('files.status', api.Column.translate_type('string')) }} as status,
        {{ dbt.cast('coalesce(files.rows_read, 0)', api.Column.translate_type('bigint')) }} as rows_read,
        {{ dbt.cast('coalesce(lake_counts.rows_loaded, 0)', api.Column.translate_type('bigint')) }} as rows_loaded,
        {{ dbt.cast('coalesce(quarantine_counts.rows_quarantined_at_ingest, 0) + coalesce(lake_counts.rows_future_dated, 0)',
                    api.Column.translate_type('bigint')) }} as rows_quarantined,
        {{ dbt.cast('coalesce(lake_counts.rows_superseded, 0)', api.Column.translate_type('bigint')) }} as rows_superseded,
        {{ dbt.cast('files.error', api.Column.translate_type('string')) }} as error,
        {{ dbt.cast('coalesce(quarantine_counts.rows_quarantined_at_ingest, 0)', api.Column.translate_type('bigint')) }} as rows_quarantined_at_ingest,
        {{ dbt.cast('coalesce(lake_counts.rows_future_dated, 0)', api.Column.translate_type('bigint')) }} as rows_future_dated
    from files
    left join lake_counts
        on
            files.source = lake_counts.source
            and files.source_file = lake_counts.source_file
    left join quarantine_counts
        on
            files.source = quarantine_counts.source
            and files.source_file = quarantine_counts.source_file

)

select * from final
