{#- The run's as-of date for every model: a scalar subquery over the one-row view
    stg_lake__as_of, so unit tests can pin the date with a `given` row for it. -#}
{% macro as_of() -%}
    (select as_of_date from {{ ref('stg_lake__as_of') }})
{%- endmacro %}

{#- Versioning order (contract §2 v1.1): the latest effective time (updated_at, else the
    file name's export date; NULLs lowest — see macros/versioning.sql), then the file whose
    name sorts last (the base name, not its folder), then its path, then the highest
    physical row number. -#}
{% macro version_order() -%}
    version_effective_at desc nulls last, _file_name desc, _source_file desc, _row_number desc
{%- endmacro %}

{#- ISO calendar parts; dbt has no cross-database macro for these. -#}
{% macro iso_year(expr) -%}{{ return(adapter.dispatch('iso_year')(expr)) }}{%- endmacro %}
{% macro default__iso_year(expr) -%}cast(extract(isoyear from {{ expr }}) as integer){%- endmacro %}
{% macro iso_week(expr) -%}{{ return(adapter.dispatch('iso_week')(expr)) }}{%- endmacro %}
{% macro default__iso_week(expr) -%}cast(extract(week from {{ expr }}) as integer){%- endmacro %}

{#- Nearest-rank-free continuous percentile as an aggregate (median, p90). -#}
{% macro percentile_cont(expr, p) -%}{{ return(adapter.dispatch('percentile_cont')(expr, p)) }}{%- endmacro %}
{% macro default__percentile_cont(expr, p) -%}percentile_cont({{ p }}) within group (order by {{ expr }}){%- endmacro %}

{#- DOUBLE (fct values, rates); dbt.type_float() is a 4-byte FLOAT on DuckDB. -#}
{% macro type_double() -%}{{ return(adapter.dispatch('type_double')()) }}{%- endmacro %}
{% macro default__type_double() -%}double{%- endmacro %}
{% macro postgres__type_double() -%}double precision{%- endmacro %}
