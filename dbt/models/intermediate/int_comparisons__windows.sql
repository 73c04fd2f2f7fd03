{#- Comparison windows ending on (or, for last_week, before) the as-of date, per township
    (reform-to-date depends on it), each with the same period a year earlier:
      week           Monday of as_of's week – as_of (may be partial)
      last_week      the last complete Monday–Sunday week ending on or before as_of
      28_days        as_of − 27 days – as_of
      month          first of as_of's month – as_of
      year_to_date   1 January – as_of
      reform_to_date the township's reform start – as_of (only once the reform has started)
    The two weeks are compared with the same ISO weekdays 52 weeks (364 days) earlier; the
    other windows with the same calendar dates a year earlier.
    Whether the earlier period has data depends on the indicator's source
    (int_comparisons__values). -#}
with

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

{% set d = api.Column.translate_type('date') %}

current_periods as (

    select
        townships.township_code,
        'week' as window_name,
        {{ dbt.cast(dbt.date_trunc('week', 'as_of.as_of_date'), d) }} as period_start,
        as_of.as_of_date as period_end
    from townships cross join as_of
    union all
    -- last complete week: it ends on the Sunday on or before as_of (the Monday of as_of + 1 day, minus a day)
    select
        townships.township_code,
        'last_week',
        {{ dbt.cast(dbt.dateadd('day', -7, dbt.date_trunc('week', dbt.dateadd('day', 1, 'as_of.as_of_date'))), d) }},
        {{ dbt.cast(dbt.dateadd('day', -1, dbt.date_trunc('week', dbt.dateadd('day', 1, 'as_of.as_of_date'))), d) }}
    from townships cross join as_of
    union all
    select
        townships.township_code,
        '28_days',
        {{ dbt.cast(dbt.dateadd('day', -27, 'as_of.as_of_date'), d) }},
        as_of.as_of_date
    from townships cross join as_of
    union all
    select
        townships.township_code,
        'month',
        {{ dbt.cast(dbt.date_trunc('month', 'as_of.as_of_date'), d) }},
        as_of.as_of_date
    from townships cross join as_of
    union all
    select
        townships.township_code,
        'year_to_date',
        {{ dbt.cast(dbt.date_trunc('year', 'as_of.as_of_date'), d) }},
        as_of.as_of_date
    from townships cross join as_of
    union all
    select
        townships.township_code,
        'reform_to_date',
        townships.reform_start_date,
        as_of.as_of_date
    from townships cross join as_of
    where townships.reform_start_date <= as_of.as_of_date

),

with_prior as (

    select
        township_code,
        window_name,
        period_start,
        period_end,
        case
            when window_name in ('week', 'last_week')
                then {{ dbt.cast(dbt.dateadd('day', -364, 'period_start'), d) }}
            else {{ dbt.cast(dbt.dateadd('year', -1, 'period_start'), d) }}
        end as prior_start,
        case
            when window_name in ('week', 'last_week')
                then {{ dbt.cast(dbt.dateadd('day', -364, 'period_end'), d) }}
            else {{ dbt.cast(dbt.dateadd('year', -1, 'period_end'), d) }}
        end as prior_end
    from current_periods

),

final as (

    select
        township_code,
        window_name,
        period_start,
        period_end,
        prior_start,
        prior_end
    from with_prior

)

select * from final
