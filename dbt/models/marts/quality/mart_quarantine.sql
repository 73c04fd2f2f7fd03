{#- contract §6 v1.1 quarantine.csv: every quarantined row, one shape — ingest's refusals
    (missing_key, missing_date, bad_date, unknown_township, unreadable_file; their column,
    masked raw value and Chinese explanation come from the lake) plus the rows dbt
    quarantines as future_date (primary counting date after as_of + 1 day). -#}
with

ingest_quarantine as (

    select * from {{ ref('stg_lake__quarantined_rows') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

{#- (source, versions model, SQL naming the primary counting column, its zh header, its value) -#}
{% set versioned = [
    ('grid_events', 'stg_grid_events__event_versions', "'reported_at'", "'上报时间'", 'reported_at'),
    ('inspections', 'stg_inspections__inspection_versions', "'inspected_on'", "'检查日期'", 'counting_date'),
    ('cases', 'stg_cases__case_versions',
        "case when filed_on is not null then 'filed_on' else 'closed_on' end",
        "case when filed_on is not null then '立案日期' else '结案日期' end", 'counting_date'),
    ('notices', 'stg_notices__notice_versions', "'notice_date'", "'日期'", 'counting_date'),
    ('police_alarms', 'stg_police_alarms__alarm_versions', "'reported_at'", "'报警时间'", 'reported_at')] %}

future_dated as (

    {% for src, model, column_sql, column_zh_sql, value_column in versioned %}
    select
        {{ dbt.string_literal(src) }} as source,
        versions._source_file as source_file,
        versions._sheet as sheet,
        versions._row_number as row_number,
        versions._record_key as record_key,
        'future_date' as reason_or_flag,
        {{ column_sql }} as flagged_column,
        {{ dbt.cast('versions.' ~ value_column, api.Column.translate_type('string')) }} as raw_value,
        {{ dbt.concat([
            column_zh_sql, "'「'",
            dbt.cast('versions.' ~ value_column, api.Column.translate_type('string')),
            "'」晚于统计截止日 '",
            dbt.cast('as_of.as_of_date', api.Column.translate_type('string')),
            "' 的次日，整行隔离；日期有误请更正，若属实则待截止日到达后自动计入。'"
        ]) }} as explanation
    from {{ ref(model) }} as versions
    cross join as_of
    where versions.is_future_dated
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

unioned as (

    select
        source,
        source_file,
        sheet,
        row_number,
        record_key,
        reason as reason_or_flag,
        {{ adapter.quote('column') }} as flagged_column,
        raw_value,
        coalesce(detail, {{ quality_explanation('reason', adapter.quote('column'), 'raw_value') }}) as explanation
    from ingest_quarantine
    union all
    select
        source,
        source_file,
        sheet,
        row_number,
        record_key,
        reason_or_flag,
        flagged_column,
        raw_value,
        explanation
    from future_dated

),

final as (

    select
        {{ dbt.cast('source', api.Column.translate_type('string')) }} as source,
        {{ dbt.cast('source_file', api.Column.translate_type('string')) }} as file,
        {{ dbt.cast('sheet', api.Column.translate_type('string')) }} as sheet,
        {{ dbt.cast('row_number', api.Column.translate_type('bigint')) }} as row_number,
        {{ dbt.cast('record_key', api.Column.translate_type('string')) }} as record_key,
        {{ dbt.cast('reason_or_flag', api.Column.translate_type('string')) }} as reason_or_flag,
        {{ dbt.cast('flagged_column', api.Column.translate_type('string')) }} as {{ adapter.quote('column') }},
        {{ dbt.cast('raw_value', api.Column.translate_type('string')) }} as raw_value,
        {{ dbt.cast('explanation', api.Column.translate_type('string')) }} as explanation
    from unioned

)

select * from final
