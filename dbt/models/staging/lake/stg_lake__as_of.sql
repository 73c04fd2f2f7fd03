{#- The run's as-of date: one row, one column. The pipeline decides it (pipelines/asof.py,
    the one as-of rule) and passes it in the environment, not as a dbt var: dbt's partial
    parsing re-parses the whole project when a var changes. The variable is read only when
    the model runs (`execute`): read while parsing, dbt would record it and parse this file
    again whenever the date changes, which is every night (~0.6 s of every build). -#}
{%- set as_of = env_var('ZHIFA_RUN_AS_OF', '') if execute else '' -%}
{%- if execute and not as_of -%}
    {{ exceptions.raise_compiler_error(
        "ZHIFA_RUN_AS_OF is not set: `zhifa run` sets it; by hand, export ZHIFA_RUN_AS_OF=YYYY-MM-DD"
    ) }}
{%- endif %}
with

final as (

    select {{ dbt.cast(dbt.string_literal(as_of or '1970-01-01'), api.Column.translate_type('date')) }} as as_of_date

)

select * from final
