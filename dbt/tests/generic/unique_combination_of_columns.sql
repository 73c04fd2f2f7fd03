{#- A composite primary key: no two rows share the combination (NULLs compare equal).
    Kept here rather than taken from dbt_utils: the machine that runs the nightly job has
    no route to hub.getdbt.com (`dbt deps` cannot run), and vendoring the whole package
    for two five-line tests would add ~200 macros nobody reads. Same names and arguments
    as dbt_utils', so switching later is a one-line `packages.yml`. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
with grouped as (
    select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
)
select * from grouped where n_rows > 1
{% endtest %}
