{#- Every quarantined row, one shape: ingest's refusals plus the rows dbt quarantines as
    future_date (counting date after as_of + 1 day). -#}
with

ingest_quarantine as (

    select * from {{ ref('stg_lake__quarantined_rows') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

{% set versioned = [('grid_events', 'stg_grid_events__event_versions', 'event_id', 'reported_at'),
                    ('inspections', 'stg_inspections__inspection_versions', 'inspection_id', 'inspected_on'),
                    ('cases', 'stg_cases__case_versions', 'case_id', 'filed_on'),
                    ('notices', 'stg_notices__notice_versions', 'notice_id', 'notice_date'),
                    ('police_alarms', 'stg_police_alarms__alarm_versions', 'alarm_id', 'reported_at')] %}

future_dated as (

    {% for src, model, key, date_col in versioned %}
    select
        {{ dbt.string_literal(src) }} as source,
        _source_file as source_file,
        _sheet as sheet,
        _row_number as row_number,
        {{ key }} as record_key,
        'future_date' as reason,
        {{ dbt.concat([
            dbt.string_literal(date_col ~ ' '),
            dbt.cast('counting_date', api.Column.translate_type('string')),
            dbt.string_literal(' is after as_of + 1 day (as_of '),
            dbt.cast('as_of.as_of_date', api.Column.translate_type('string')),
            dbt.string_literal(')')
        ]) }} as detail
    from {{ ref(model) }}
    cross join as_of
    where is_future_dated
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

unioned as (

    select source, source_file, sheet, row_number, record_key, reason, detail
    from ingest_quarantine
    union all
    select source, source_file, sheet, row_number, record_key, reason, detail
    from future_dated

),

final as (

    select
        {{ dbt.cast('source', api.Column.translate_type('string')) }} as source,
        {{ dbt.cast('source_file', api.Column.translate_type('string')) }} as file,
        {{ dbt.cast('sheet', api.Column.translate_type('string')) }} as sheet,
        {{ dbt.cast('row_number', api.Column.translate_type('bigint')) }} as row_number,
        {{ dbt.cast('record_key', api.Column.translate_type('string')) }} as record_key,
        {{ dbt.cast('reason', api.Column.translate_type('string')) }} as reason,
        {{ dbt.cast('detail', api.Column.translate_type('string')) }} as detail
    from unioned

)

select * from final
