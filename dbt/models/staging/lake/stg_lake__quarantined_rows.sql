{#- Rows ingest refused (missing_key, missing_date, bad_date, unknown_township,
    unreadable_file), all five sources in one shape. future_date rows are added in
    mart_quarantine. -#}
with

{% set sources = ['grid_events', 'inspections', 'cases', 'notices', 'police_alarms'] %}

{% for src in sources %}
{{ src }} as (

    select
        {{ dbt.string_literal(src) }} as source,
        {{ dbt.cast('_source_file', api.Column.translate_type('string')) }} as source_file,
        {{ dbt.cast('_sheet', api.Column.translate_type('string')) }} as sheet,
        {{ dbt.cast('_row_number', api.Column.translate_type('bigint')) }} as row_number,
        {{ dbt.cast('record_key', api.Column.translate_type('string')) }} as record_key,
        {{ dbt.cast(adapter.quote('column'), api.Column.translate_type('string')) }} as {{ adapter.quote('column') }},
        {{ dbt.cast('raw_value', api.Column.translate_type('string')) }} as raw_value,
        {{ dbt.cast('reason', api.Column.translate_type('string')) }} as reason,
        {{ dbt.cast('detail', api.Column.translate_type('string')) }} as detail
    from {{ source('lake_quarantine', src) }}

),

{% endfor %}

unioned as (

    {% for src in sources %}
    select * from {{ src }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select * from unioned

)

select * from final
