{#- Data-quality listings (contract §6 v1.1): the JSON flag details and their Chinese
    explanations, written once for mart_flags and mart_quarantine. -#}

{#- A `_flag_details`-shaped JSON array as a list of {flag, column, raw_value} structs. -#}
{% macro flag_details_list(expr) -%}
    {{ return(adapter.dispatch('flag_details_list')(expr)) }}
{%- endmacro %}
{% macro default__flag_details_list(expr) -%}
    from_json({{ expr }}, '[{"flag": "VARCHAR", "column": "VARCHAR", "raw_value": "VARCHAR"}]')
{%- endmacro %}

{#- The export header staff know a column by (contract.yaml `zh`, via var('column_labels')),
    else the column name itself. -#}
{% macro column_label(source, column) -%}
    case
        {%- for src, labels in var('column_labels').items() %}
        {%- for name, zh in labels.items() %}
        when {{ source }} = '{{ src }}' and {{ column }} = '{{ name }}' then '{{ zh }}'
        {%- endfor %}
        {%- endfor %}
        else {{ column }}
    end
{%- endmacro %}

{#- The Chinese sentence staff read for a flag or quarantine reason on a column. -#}
{% macro quality_explanation(code, column, raw_value, source='source') -%}
    {%- set col = "coalesce(" ~ column_label(source, column) ~ ", '')" -%}
    {%- set raw = "coalesce(" ~ raw_value ~ ", '(空)')" -%}
    case {{ code }}
        when 'id_precision_lost' then {{ dbt.concat(["'「'", col, "'」的编号「'", raw,
            "'」以科学计数法或小数导出，已丢失位数；请在源系统中把该列设为文本后重新导出。'"]) }}
        when 'id_checksum_failed' then {{ dbt.concat(["'「'", col, "'」的值「'", raw,
            "'」校验位不符，请核对是否录入有误。'"]) }}
        when 'unknown_grid' then {{ dbt.concat(["'网格编码「'", raw,
            "'」不在网格参照表中，本行不计入任何网格；请核对所属网格。'"]) }}
        when 'grid_from_location' then {{ dbt.concat(["'所属网格为空，已按经纬度定位到网格（'", raw,
            "'）；请在源系统中补录所属网格。'"]) }}
        when 'bad_value' then {{ dbt.concat(["'「'", col, "'」的值「'", raw,
            "'」无法识别，已置空，本行其余数据照常统计。'"]) }}
        when 'bad_date' then {{ dbt.concat(["'「'", col, "'」的日期「'", raw,
            "'」无法解析，已置空（主统计日期无法解析时整行隔离）；请更正日期。'"]) }}
        when 'future_date' then {{ dbt.concat(["'「'", col, "'」的日期「'", raw,
            "'」晚于统计截止日的次日（期限类日期：晚于截止日后一年），视为录入错误，已置空，本行其余数据照常统计；请更正日期。'"]) }}
        when 'missing_key' then {{ dbt.concat(["'主键「'", col, "'」为空，整行隔离；请补录编号。'"]) }}
        when 'missing_date' then {{ dbt.concat(["'主统计日期「'", col, "'」为空，整行隔离；请补录日期。'"]) }}
        when 'unknown_township' then {{ dbt.concat(["'所属镇街「'", raw,
            "'」不是参照表中的镇街名称、编码或别名，整行隔离；请更正镇街。'"]) }}
        when 'bad_line' then '该行无法解析（引号不成对或格式错误），整行隔离，文件其余行照常导入；请在源系统中检查该行后重新导出。'
        when 'unreadable_file' then '整个文件无法读取，已隔离；请重新导出该文件。'
        else {{ dbt.concat([code, "'：字段 '", col, "' 的值「'", raw, "'」'"]) }}
    end
{%- endmacro %}

{#- The Chinese banner sentence of a mart_source_status row (columns of its `classified` CTE).
    A missing folder whose previous import is kept says so, with the newest record date kept;
    header-only files are named after the status sentence. -#}
{% macro source_status_message() -%}
    {{ dbt.concat([source_status_sentence(), "coalesce(" ~ source_status_empty_note() ~ ", '')"]) }}
{%- endmacro %}

{% macro source_status_empty_note() -%}
    case when files_empty > 0 and status <> 'missing' then {{ dbt.concat([
        "'另有 '", dbt.cast('files_empty', api.Column.translate_type('string')),
        "' 个文件只有表头，没有数据行（'", "empty_files", "'）。'"]) }} end
{%- endmacro %}

{% macro source_status_sentence() -%}
    case status
        when 'missing' then case
            when newest_record_date is not null then {{ dbt.concat([
                "source_zh", "'：收件箱中该来源的文件夹缺失或为空，沿用上次导入的数据，截至 '",
                dbt.cast('newest_record_date', api.Column.translate_type('string')),
                "'；相关指标不含之后的数据。'"]) }}
            else {{ dbt.concat(["source_zh", "'：收件箱中没有该来源的文件，相关指标无法统计。'"]) }}
        end
        when 'incomplete' then {{ dbt.concat([
            "source_zh", "'：有 '", dbt.cast('files_unreadable', api.Column.translate_type('string')),
            "' 个文件无法读取（'", "unreadable_files", "'），相关指标可能不完整。'"]) }}
        when 'stale' then coalesce({{ dbt.concat([
            "source_zh", "'：最新记录日期为 '", dbt.cast('newest_record_date', api.Column.translate_type('string')),
            "'，比统计截止日早 '", dbt.cast('lag_days', api.Column.translate_type('string')),
            "' 天（超过 '", dbt.cast('stale_after_days', api.Column.translate_type('string')),
            "' 天），数据滞后。'"]) }}, {{ dbt.concat(["source_zh", "'：截止日前没有任何记录，数据滞后。'"]) }})
        else {{ dbt.concat(["source_zh", "'：数据正常。'"]) }}
    end
{%- endmacro %}
