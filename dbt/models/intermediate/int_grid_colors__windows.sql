{#- The 56-day windows the five-colour map is scored on: the one ending on the as-of
    date, the one a week before it (last_week_color), and each of the 104 weeks ending on
    a Sunday on or before the as-of date (the weekly history). -#}
with

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

week_offsets as (

    {{ dbt.generate_series(104) }}

),

last_sunday as (

    select
        as_of_date,
        {{ dbt.cast(dbt.dateadd('day', -1, dbt.date_trunc('week', dbt.dateadd('day', 1, 'as_of_date'))),
                    api.Column.translate_type('date')) }} as last_sunday
    from as_of

),

window_ends as (

    select
        as_of_date as window_end,
        true as is_as_of,
        false as is_week_end
    from last_sunday
    union all
    select
        {{ dbt.cast(dbt.dateadd('day', -7, 'as_of_date'), api.Column.translate_type('date')) }},
        false,
        false
    from last_sunday
    union all
    select
        {{ dbt.cast(dbt.dateadd('day', '-7 * (week_offsets.generated_number - 1)', 'last_sunday.last_sunday'),
                    api.Column.translate_type('date')) }},
        false,
        true
    from last_sunday
    cross join week_offsets

),

deduplicated as (

    select
        window_end,
        max(case when is_as_of then 1 else 0 end) = 1 as is_as_of,
        max(case when is_week_end then 1 else 0 end) = 1 as is_week_end
    from window_ends
    group by window_end

),

final as (

    select
        {{ dbt.cast(dbt.dateadd('day', 1 - var('five_colour')['window_days'], 'window_end'), api.Column.translate_type('date')) }} as window_start,
        window_end,
        is_as_of,
        is_week_end
    from deduplicated

)

select * from final
