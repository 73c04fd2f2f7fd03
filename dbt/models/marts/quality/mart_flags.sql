{#- contract §6 v1.1 flags.csv: soft problems on loaded rows — one row per (row, flag,
    column) for staff to correct at the source. Ingest's flags (`_flag_details`) and the
    secondary dates dbt set to NULL as future_date (`_future_date_details`, see
    macros/versioning.sql). Only current versions: a flag on a superseded version no longer
    matters. The row stays loaded and counted. -#}
{% set versioned = [('grid_events', 'stg_grid_events__event_versions'),
                    ('inspections', 'stg_inspections__inspection_versions'),
                    ('cases', 'stg_cases__case_versions'),
                    ('notices', 'stg_notices__notice_versions'),
                    ('police_alarms', 'stg_police_alarms__alarm_versions')] %}
with

flagged_rows as (

    {% for src, model in versioned %}
    select
        {{ dbt.string_literal(src) }} as source,
        _source_file as file,
        _sheet as sheet,
        _row_number as row_number,
        _record_key as record_key,
        _flag_details,
        _future_date_details
    from {{ ref(model) }}
    where
        is_current_version
        and (_flag_details <> '[]' or _future_date_details <> '[]')
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

details as (

    select
        source,
        file,
        sheet,
        row_number,
        record_key,
        unnest(list_concat(
            {{ flag_details_list('_flag_details') }},
            {{ flag_details_list('_future_date_details') }}
        )) as detail
    from flagged_rows

),

unpacked as (

    select
        source,
        file,
        sheet,
        row_number,
        record_key,
        struct_extract(detail, 'flag') as reason_or_flag,
        struct_extract(detail, 'column') as flagged_column,
        struct_extract(detail, 'raw_value') as raw_value
    from details

),

final as (

    select
        {{ dbt.cast('source', api.Column.translate_type('string')) }} as source,
        {{ dbt.cast('file', api.Column.translate_type('string')) }} as file,
        {{ dbt.cast('sheet', api.Column.translate_type('string')) }} as sheet,
        {{ dbt.cast('row_number', api.Column.translate_type('bigint')) }} as row_number,
        {{ dbt.cast('record_key', api.Column.translate_type('string')) }} as record_key,
        {{ dbt.cast('reason_or_flag', api.Column.translate_type('string')) }} as reason_or_flag,
        {{ dbt.cast('flagged_column', api.Column.translate_type('string')) }} as {{ adapter.quote('column') }},
        {{ dbt.cast('raw_value', api.Column.translate_type('string')) }} as raw_value,
        {{ dbt.cast(quality_explanation('reason_or_flag', 'flagged_column', 'raw_value'),
                    api.Column.translate_type('string')) }} as explanation
    from unpacked

)

select * from final
