{#- §8 history: every micro-grid scored for each 56-day window ending on a Sunday (104
    weeks up to the as-of date), with the previous week's colour and whether it changed.
    The history of a township starts with the first Sunday whose whole window lies on or
    after its first data date (the earliest counting date of any source there): no colours
    for weeks before there was data (contract §8 v1.1). -#}
with

scored as (

    select * from {{ ref('int_grid_colors__scored') }}

),

data_starts as (

    select
        township_code,
        min(first_date) as first_data_date
    from {{ ref('int_lake__township_source_dates') }}
    group by township_code

),

weekly as (

    select scored.*
    from scored
    inner join data_starts
        on
            scored.township_code = data_starts.township_code
            and scored.window_start >= data_starts.first_data_date
    where scored.is_week_end

),

with_previous as (

    select
        weekly.*,
        previous_week.color as last_week_color
    from weekly
    left join weekly as previous_week
        on
            weekly.grid_code = previous_week.grid_code
            and previous_week.window_end = {{ dbt.cast(dbt.dateadd('day', -7, 'weekly.window_end'), api.Column.translate_type('date')) }}

),

final as (

    select
        {{ dbt.cast('window_end', api.Column.translate_type('date')) }} as week_end,
        {{ dbt.cast('grid_code', api.Column.translate_type('string')) }} as grid_code,
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('window_start', api.Column.translate_type('date')) }} as window_start,
        {{ dbt.cast('population', api.Column.translate_type('bigint')) }} as population,
        {{ dbt.cast('penalties', api.Column.translate_type('bigint')) }} as penalties,
        {{ dbt.cast('petitions_disputes', api.Column.translate_type('bigint')) }} as petitions_disputes,
        {{ dbt.cast('valid_alarms', api.Column.translate_type('bigint')) }} as valid_alarms,
        {{ dbt.cast('penalty_rate', type_double()) }} as penalty_rate,
        {{ dbt.cast('petition_rate', type_double()) }} as petition_rate,
        {{ dbt.cast('alarm_rate', type_double()) }} as alarm_rate,
        {{ dbt.cast('penalty_pct', type_double()) }} as penalty_pct,
        {{ dbt.cast('petition_pct', type_double()) }} as petition_pct,
        {{ dbt.cast('alarm_pct', type_double()) }} as alarm_pct,
        {{ dbt.cast('score', type_double()) }} as score,
        color,
        grey_reason,
        last_week_color,
        last_week_color is not null and last_week_color <> color as is_color_changed
    from with_previous

)

select * from final
