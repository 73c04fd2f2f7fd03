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

    Incremental (issue 11): a night that continues the live warehouse (pipelines/increment.py
    copies it and lists the inbox files that changed since it was built) re-ranks only the
    records a change can touch, and the `rerank` strategy below swaps their rows in:
      - every record with a row in a changed, new or removed file (old rows or new);
      - every record with a date whose side of its horizon moved with the as-of date.
    A record's rows depend only on its own rows and the as-of date, so this equals a full
    build; tests/test_demo_incremental.py compares the two. Without a previous table (a
    first, weekly or new-code build) it is the full build above.
-#}
{% macro versioned_records(source_name, key, has_updated_at=true) %}
{{ config(materialized='incremental', incremental_strategy='rerank', unique_key=key, on_schema_change='fail') }}
{%- set secondary_dates = var('secondary_dates')[source_name] -%}
with

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

{% if is_incremental() -%}
{#- the lake read where it is used, not as a CTE: DuckDB materialises a CTE read three times,
    whole rows of the whole lake (9.7 s against 0.8 s for a district's events) -#}
{%- set lake = source(source_name, 'records') -%}
changed_files as (

    select source_file from {{ build_state('changed_files') }}

),

previous_as_of as (

    select as_of_date from {{ build_state('built') }}

),

affected_records as (

    select {{ key }} as record_key from {{ this }}
    where _source_file in (select changed_files.source_file from changed_files)
    union
    select _record_key from {{ lake }}
    where _source_file in (select changed_files.source_file from changed_files)
    union
    select lake._record_key from {{ lake }} as lake
    cross join as_of
    cross join previous_as_of
    where
        {{ crossed_horizon('lake._counting_date', 1) }}
        {%- for column, days in secondary_dates.items() %}
        or {{ crossed_horizon('lake.' ~ column, days) }}
        {%- endfor %}

),

source as (

    select * from {{ lake }}
    where _record_key in (select affected_records.record_key from affected_records)

),
{%- else -%}
source as (

    select * from {{ source(source_name, 'records') }}

),
{%- endif %}

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

{#- The date of expr lies on the other side of as_of + `days` than it did at the previous
    build's as-of date: (min, max] of the two horizons. Needs as_of and previous_as_of. -#}
{% macro crossed_horizon(expr, days) -%}
    (
        {{ dbt.cast(expr, api.Column.translate_type('date')) }}
        > least({{ dbt.dateadd('day', days, 'as_of.as_of_date') }}, {{ dbt.dateadd('day', days, 'previous_as_of.as_of_date') }})
        and {{ dbt.cast(expr, api.Column.translate_type('date')) }}
        <= greatest({{ dbt.dateadd('day', days, 'as_of.as_of_date') }}, {{ dbt.dateadd('day', days, 'previous_as_of.as_of_date') }})
    )
{%- endmacro %}

{#- A table pipelines/increment.py writes into the copy of the live warehouse a night builds
    on: `built` (the copied tables' as-of date) and `changed_files` (inbox files changed,
    added or removed since). Absent on a full build, which never reads them; a `dbt run` or
    `build` that would read a missing one stops (compile and docs only render the name). -#}
{% macro build_state(table) -%}
    {%- set relation = api.Relation.create(database=this.database, schema='zhifa_build', identifier=table) -%}
    {%- if execute and flags.WHICH in ('run', 'build') and adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {{ exceptions.raise_compiler_error(
            this ~ " exists but " ~ relation ~ " does not: this warehouse was not prepared by "
            ~ "`zhifa run` for an incremental build. Run `dbt build --full-refresh`, or `zhifa run`."
        ) }}
    {%- endif -%}
    {{ relation }}
{%- endmacro %}

{#- The `rerank` incremental strategy: the records the model re-ranked replace all their rows,
    and the rows of changed or removed files go (a record left with no row at all is not in
    the new rows, so delete+insert by key alone would keep its stale rows). -#}
{% macro get_incremental_rerank_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ arg_dict['target_relation'] }}
    where
        {{ arg_dict['unique_key'] }} in (select {{ arg_dict['unique_key'] }} from {{ arg_dict['temp_relation'] }})
        or _source_file in (select source_file from {{ build_state('changed_files') }});

    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
