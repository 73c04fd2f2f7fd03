{#- Contract §2 v1.1 versions, written once for the five sources. Every lake row of the
    source, with
      - the key column = `_record_key`, the record's identity (the exported id, or
        `id|counting time` when the id lost digits), so that count(distinct key) counts
        records, not damaged ids; the exported id is kept as `<key>_as_exported`;
      - counting_date (`_counting_date`, the primary counting date) and is_future_dated
        (after as_of + 1 day: quarantined, takes no part in versioning);
      - every secondary date after as_of + its horizon (var secondary_dates: 1 day, 366 for
        deadlines) set to NULL, the row flagged future_date in `_flags` and
        `_future_date_details` (same JSON shape as ingest's `_flag_details`);
      - version_rank among the versions of its record (1 = the current version), in
        version_order() (macros/as_of.sql) by version_effective_at: updated_at, or the end
        of the export date in the file name (`_file_date`) where updated_at is empty — only
        for records with updated_at on some version, else NULL so that the file name decides.
    A table: the current records (a view of it), mart_flags, mart_ingest_report and
    mart_quarantine all read it, and a view would run the window once for each. The window
    ranks the few columns the order needs and joins the rank back to the row by its place
    in the export (file, sheet, physical row; unique per source): sorting whole rows, long
    texts and JSON included, cost a third more time and spilled at city scale.
-#}
{% macro versioned_records(source_name, key, has_updated_at=true) %}
{{ config(materialized='table') }}
{%- set secondary_dates = var('secondary_dates')[source_name] -%}
with

source as (

    select * from {{ source(source_name, 'records') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

cleaned as (

    select
        source.* replace (
            {%- for column, days in secondary_dates.items() %}
            case when not {{ is_after_as_of('source.' ~ column, days) }} then source.{{ column }} end as {{ column }},
            {%- endfor %}
            {%- if secondary_dates %}
            concat_ws(';', nullif(source._flags, ''),
                case when {{ any_future_secondary_date(secondary_dates) }} then 'future_date' end) as _flags,
            {%- endif %}
            source._record_key as {{ key }}
        ),
        source.{{ key }} as {{ key }}_as_exported,
        {{ dbt.cast('source._counting_date', api.Column.translate_type('date')) }} as counting_date,
        coalesce({{ is_after_as_of('source._counting_date', 1) }}, false) as is_future_dated,
        {{ dbt.concat(["'['", future_date_details(secondary_dates), "']'"]) }} as _future_date_details
    from source
    cross join as_of

),

order_columns as (

    -- its own CTE: DuckDB materialises `cleaned` (read twice), and a window over it sorts whole rows
    select
        _source_file,
        _sheet,
        _row_number,
        {{ key }},
        is_future_dated,
        {%- if has_updated_at %}
        updated_at,
        _file_date,
        {%- endif %}
        _file_name
    from cleaned

),

effective as (

    select
        _source_file,
        _sheet,
        _row_number,
        {{ key }},
        is_future_dated,
        _file_name,
        {%- if has_updated_at %}
        case when max(updated_at) over (partition by {{ key }}, is_future_dated) is not null
            then coalesce(updated_at, _file_date) end as version_effective_at
        {%- else %}
        {{ dbt.cast('null', api.Column.translate_type('timestamp')) }} as version_effective_at
        {%- endif %}
    from order_columns

),

ranked as (

    select
        _source_file,
        _sheet,
        _row_number,
        version_effective_at,
        case
            when not is_future_dated then row_number() over (
                partition by {{ key }}, is_future_dated
                order by {{ version_order() }}
            )
        end as version_rank
    from effective

),

final as (

    select
        cleaned.*,
        ranked.version_effective_at,
        ranked.version_rank,
        coalesce(ranked.version_rank = 1, false) as is_current_version
    from cleaned
    inner join ranked
        on
            cleaned._source_file = ranked._source_file
            and cleaned._sheet is not distinct from ranked._sheet
            and cleaned._row_number = ranked._row_number

)

select * from final
{% endmacro %}

{#- The date of expr lies more than `days` days after the as-of date (NULL when expr is NULL).
    Needs the as_of CTE in scope. -#}
{% macro is_after_as_of(expr, days) -%}
    {{ dbt.cast(expr, api.Column.translate_type('date')) }} > {{ dbt.dateadd('day', days, 'as_of.as_of_date') }}
{%- endmacro %}

{#- Comma-joined JSON objects {"flag": "future_date", "column": …, "raw_value": …}, one per
    secondary date of the row after its horizon (the inside of a JSON array; '' when none). -#}
{% macro future_date_details(secondary_dates) -%}
    {%- if secondary_dates -%}
    concat_ws(', '
        {%- for column, days in secondary_dates.items() %},
        case when {{ is_after_as_of('source.' ~ column, days) }} then {{ dbt.concat([
            dbt.string_literal('{"flag": "future_date", "column": "' ~ column ~ '", "raw_value": "'),
            dbt.cast('source.' ~ column, api.Column.translate_type('string')),
            dbt.string_literal('"}')]) }} end
        {%- endfor %})
    {%- else -%}
    ''
    {%- endif -%}
{%- endmacro %}

{#- Some secondary date of the row lies after its horizon. -#}
{% macro any_future_secondary_date(secondary_dates) -%}
    (
    {%- for column, days in secondary_dates.items() -%}
        coalesce({{ is_after_as_of('source.' ~ column, days) }}, false)
        {%- if not loop.last %} or {% endif -%}
    {%- endfor -%}
    )
{%- endmacro %}
