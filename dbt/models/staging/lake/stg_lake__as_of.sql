{#- The run's as-of date: one row, one column. The rule lives in macros/as_of.sql. -#}
with

resolved as (

    select {{ resolve_as_of() }} as as_of_date

),

final as (

    select
        {{ dbt.cast('coalesce(as_of_date, current_date)', api.Column.translate_type('date')) }} as as_of_date
    from resolved

)

select * from final
