{#- The ingest manifests: one row per inbox file of each source. status is loaded, empty
    (header only) or unreadable; is_folder_missing marks the rows of a source whose folder was
    missing or empty on the last run (the previous import, kept). -#}
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
        {{ dbt.cast('encoding', api.Column.translate_type('string')) }} as encoding,
        {{ dbt.cast('mapping', api.Column.translate_type('string')) }} as mapping,
        coalesce({{ dbt.cast('folder_missing', api.Column.translate_type('boolean')) }}, false) as is_folder_missing
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
