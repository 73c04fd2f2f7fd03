{#- The pilot towns side by side for reformers: each indicator (breakdown 'all') per month,
    per 10,000 常住人口 and per km², aligned by months since each township's reform start
    (month 0 = the month the reform started; negative = before). -#}
with

daily as (

    select * from {{ ref('fct_township_daily') }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

monthly as (

    select
        township_code,
        indicator,
        {{ dbt.cast(dbt.date_trunc('month', 'date'), api.Column.translate_type('date')) }} as month_start,
        sum(value) as value
    from daily
    where
        breakdown = 'all'
        and date <= (select as_of.as_of_date from as_of)
    group by township_code, indicator, {{ dbt.date_trunc('month', 'date') }}

),

final as (

    select
        monthly.township_code,
        townships.township_name,
        monthly.indicator,
        monthly.month_start,
        {{ dbt.cast(dbt.datediff(dbt.date_trunc('month', 'townships.reform_start_date'), 'monthly.month_start', 'month'),
                    api.Column.translate_type('integer')) }} as months_since_reform,
        {{ dbt.cast('monthly.value', type_double()) }} as value,
        {{ dbt.cast('monthly.value * 10000.0 / nullif(townships.resident_population, 0)', type_double()) }} as value_per_10k,
        {{ dbt.cast('monthly.value / nullif(townships.area_km2, 0)', type_double()) }} as value_per_km2,
        monthly.month_start = {{ dbt.cast(dbt.date_trunc('month', 'as_of.as_of_date'), api.Column.translate_type('date')) }}
        and as_of.as_of_date < {{ dbt.cast(dbt.last_day('as_of.as_of_date', 'month'), api.Column.translate_type('date')) }}
            as is_partial_month
    from monthly
    inner join townships
        on monthly.township_code = townships.township_code
    cross join as_of

)

select * from final
