{#- Issue 10 (drill-down of the KPI cards): each indicator's daily total (breakdown 'all')
    per township, every day from the township's first fact to as_of (a day without records
    is 0), with the 28-day running total ending that day — the 近28天 figure of the cards,
    so the last point of a series equals its card. -#}
with

daily as (

    select * from {{ ref('fct_township_daily') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

indicators as (

    {% for name in var('indicators') %}
    select {{ dbt.string_literal(name) }} as indicator
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

towns as (

    select
        daily.township_code,
        min(daily.township_name) as township_name,
        min(daily.date) as first_date
    from daily
    cross join as_of
    where daily.date <= as_of.as_of_date
    group by daily.township_code

),

spine as (

    select
        towns.township_code,
        towns.township_name,
        towns.first_date,
        indicators.indicator,
        unnest(generate_series(towns.first_date, as_of.as_of_date, interval 1 day)) as day_at
    from towns
    cross join indicators
    cross join as_of

),

days as (

    select
        township_code,
        township_name,
        first_date,
        indicator,
        {{ dbt.cast('day_at', api.Column.translate_type('date')) }} as date
    from spine

),

totals as (

    select
        township_code,
        indicator,
        date,
        sum(value) as value
    from daily
    where breakdown = 'all'
    group by township_code, indicator, date

),

filled as (

    select
        days.township_code,
        days.township_name,
        days.indicator,
        days.date,
        days.first_date,
        coalesce(totals.value, 0) as value
    from days
    left join totals
        on
            days.township_code = totals.township_code
            and days.indicator = totals.indicator
            and days.date = totals.date

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('township_name', api.Column.translate_type('string')) }} as township_name,
        {{ dbt.cast('indicator', api.Column.translate_type('string')) }} as indicator,
        date,
        {{ dbt.cast('value', type_double()) }} as value,
        {{ dbt.cast('sum(value) over (partition by township_code, indicator order by date '
                    'rows between 27 preceding and current row)', type_double()) }} as value_28d,
        date >= first_date + 27 as is_full_28d
    from filled

)

select * from final
