{#- Every row satisfies a boolean SQL expression.
    Kept here rather than taken from dbt_utils: the machine that runs the nightly job has
    no route to hub.getdbt.com (`dbt deps` cannot run), and vendoring the whole package
    for two five-line tests would add ~200 macros nobody reads. Same names and arguments
    as dbt_utils', so switching later is a one-line `packages.yml`. -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
