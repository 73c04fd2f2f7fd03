{#- Indicator totals per township, window and breakdown, now and a year earlier. Every
    indicator's 'all' row is present for every window (zeros kept); breakdown values only
    where they occur in either period. has_prior_data (clause 5, contract §7 v1.1): the
    indicator's own source has published records for the township dated no later than
    7 days after prior_start (a week's grace for quiet days) — otherwise there is no
    earlier period to compare with. -#}
{#- A table: several models and tests read it, and a view would be computed again for each. -#}
{{ config(materialized='table') }}
with

windows as (

    select * from {{ ref('int_comparisons__windows') }}

),

daily as (

    select * from {{ ref('fct_township_daily') }}

),

source_dates as (

    select * from {{ ref('int_lake__township_source_dates') }}

),

indicators as (

    {% for n in var('indicators') %}
    select
        {{ dbt.string_literal(n) }} as indicator,
        {{ dbt.string_literal(var('indicator_sources')[n]) }} as source
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

current_totals as (

    select
        windows.township_code,
        windows.window_name,
        daily.indicator,
        daily.breakdown,
        sum(daily.value) as value_now
    from windows
    inner join daily
        on
            windows.township_code = daily.township_code
            and daily.date between windows.period_start and windows.period_end
    group by windows.township_code, windows.window_name, daily.indicator, daily.breakdown

),

prior_totals as (

    select
        windows.township_code,
        windows.window_name,
        daily.indicator,
        daily.breakdown,
        sum(daily.value) as value_before
    from windows
    inner join daily
        on
            windows.township_code = daily.township_code
            and daily.date between windows.prior_start and windows.prior_end
    group by windows.township_code, windows.window_name, daily.indicator, daily.breakdown

),

series as (

    select
        windows.township_code,
        windows.window_name,
        indicators.indicator,
        'all' as breakdown
    from windows cross join indicators
    union
    select
        township_code,
        window_name,
        indicator,
        breakdown
    from current_totals
    union
    select
        township_code,
        window_name,
        indicator,
        breakdown
    from prior_totals

),

final as (

    select
        series.township_code,
        series.window_name,
        windows.period_start,
        windows.period_end,
        windows.prior_start,
        windows.prior_end,
        coalesce(
            source_dates.first_date <= {{ dbt.dateadd('day', 7, 'windows.prior_start') }}, false
        ) as has_prior_data,
        series.indicator,
        series.breakdown,
        {{ dbt.cast('coalesce(current_totals.value_now, 0)', type_double()) }} as value_now,
        {{ dbt.cast('coalesce(prior_totals.value_before, 0)', type_double()) }} as value_before
    from series
    inner join windows
        on
            series.township_code = windows.township_code
            and series.window_name = windows.window_name
    left join current_totals
        on
            series.township_code = current_totals.township_code
            and series.window_name = current_totals.window_name
            and series.indicator = current_totals.indicator
            and series.breakdown = current_totals.breakdown
    left join prior_totals
        on
            series.township_code = prior_totals.township_code
            and series.window_name = prior_totals.window_name
            and series.indicator = prior_totals.indicator
            and series.breakdown = prior_totals.breakdown
    left join indicators
        on series.indicator = indicators.indicator
    left join source_dates
        on
            series.township_code = source_dates.township_code
            and indicators.source = source_dates.source

)

select * from final
