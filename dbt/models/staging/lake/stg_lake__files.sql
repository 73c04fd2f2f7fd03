{#- The ingest manifests: one row per inbox file of each source. -#}
with

{% set sources = ['grid_events', 'inspections', 'cases', 'notices', 'police_alarms'] %}

{% for src in sources %}
{{ src }} as (

    select
        {{ dbt.string_literal(src) }} as source,
        {{ dbt.cast('source_file', api.Column.translate_type('string')) }} as source_file,
        {{ dbt.cast('sha256', api.Column.translate_type('string')) }} as sha256,
        {{ dbt.cast('size_bytes', api.Column.translate_type('bigint')) }} as size_bytes,
        {{ dbt.cast('status', api.Column.translate_type('string')) }} as status,
        {{ dbt.cast('error', api.Column.translate_type('string')) }} as error,
        {{ dbt.cast('rows_read', api.Column.translate_type('bigint')) }} as rows_read,
        {{ dbt.cast('rows_lake', api.Column.translate_type('bigint')) }} as rows_lake,
        {{ dbt.cast('rows_quarantined', api.Column.translate_type('bigint')) }} as rows_quarantined,
        {{ dbt.cast('sheet', api.Column.translate_type('string')) }} as sheet,
        {{ dbt.cast('header_row', api.Column.translate_type('bigint')) }} as header_row,
        {{ dbt.cast('encoding', api.Column.translate_type('string')) }} as encoding
    from {{ source('lake_files', src) }}

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
