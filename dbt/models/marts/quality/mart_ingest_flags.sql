{#- Soft problems (contract §2): rows that were kept, with one row per flag they carry, for
    the 数据质量 page. Only current versions: a flag on a superseded version no longer matters. -#}
{% set versioned = [('grid_events', 'stg_grid_events__event_versions', 'event_id'),
                    ('inspections', 'stg_inspections__inspection_versions', 'inspection_id'),
                    ('cases', 'stg_cases__case_versions', 'case_id'),
                    ('notices', 'stg_notices__notice_versions', 'notice_id'),
                    ('police_alarms', 'stg_police_alarms__alarm_versions', 'alarm_id')] %}
{% set flags = ['id_precision_lost', 'id_checksum_failed', 'unknown_grid', 'grid_from_location', 'bad_value'] %}
with

flagged_rows as (

    {% for src, model, key in versioned %}
    select
        {{ dbt.string_literal(src) }} as source,
        _source_file as file,
        _sheet as sheet,
        _row_number as row_number,
        {{ key }} as record_key,
        {{ dbt.concat([dbt.string_literal(';'), '_flags', dbt.string_literal(';')]) }} as flag_list
    from {{ ref(model) }}
    where is_current_version and _flags <> ''
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    {% for flag in flags %}
    select source, file, sheet, row_number, record_key, {{ dbt.string_literal(flag) }} as flag
    from flagged_rows
    where flag_list like {{ dbt.string_literal('%;' ~ flag ~ ';%') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from final
