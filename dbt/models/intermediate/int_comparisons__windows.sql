{#- Comparison windows ending on the as-of date, per township (reform-to-date depends on
    it), each with the same period a year earlier. The week runs Monday–as_of and is
    compared with the same ISO weekdays 52 weeks (364 days) earlier; the other windows
    with the same calendar dates a year earlier. -#}
with

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

{% set d = api.Column.translate_type('date') %}

current_periods as (

    select townships.township_code, 'week' as window_name,
        {{ dbt.cast(dbt.date_trunc('week', 'as_of.as_of_date'), d) }} as period_start,
        as_of.as_of_date as period_end
    from townships cross join as_of
    union all
    select townships.township_code, '28_days',
        {{ dbt.cast(dbt.dateadd('day', -27, 'as_of.as_of_date'), d) }},
        as_of.as_of_date
    from townships cross join as_of
    union all
    select townships.township_code, 'month',
        {{ dbt.cast(dbt.date_trunc('month', 'as_of.as_of_date'), d) }},
        as_of.as_of_date
    from townships cross join as_of
    union all
    select townships.township_code, 'year_to_date',
        {{ dbt.cast(dbt.date_trunc('year', 'as_of.as_of_date'), d) }},
        as_of.as_of_date
    from townships cross join as_of
    union all
    select townships.township_code, 'reform_to_date',
        townships.reform_start_date,
        as_of.as_of_date
    from townships cross join as_of
    where townships.reform_start_date <= as_of.as_of_date

),

final as (

    select
        township_code,
        window_name,
        period_start,
        period_end,
        case when window_name = 'week'
            then {{ dbt.cast(dbt.dateadd('day', -364, 'period_start'), d) }}
            else {{ dbt.cast(dbt.dateadd('year', -1, 'period_start'), d) }}
        end as prior_start,
        case when window_name = 'week'
            then {{ dbt.cast(dbt.dateadd('day', -364, 'period_end'), d) }}
            else {{ dbt.cast(dbt.dateadd('year', -1, 'period_end'), d) }}
        end as prior_end
    from current_periods

)

select * from final
