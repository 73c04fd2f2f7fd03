{#- contract §8: the five-colour map for the 56 days ending on the as-of date, one row per
    micro-grid, with last week's colour (the window ending 7 days earlier). -#}
with

scored as (

    select * from {{ ref('int_grid_colors__scored') }}

),

grids as (

    select * from {{ ref('dim_grids') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

current_window as (

    select scored.*
    from scored
    inner join as_of
        on scored.window_end = as_of.as_of_date

),

previous_window as (

    select
        scored.grid_code,
        scored.color
    from scored
    inner join as_of
        on scored.window_end = {{ dbt.cast(dbt.dateadd('day', -7, 'as_of.as_of_date'), api.Column.translate_type('date')) }}

),

final as (

    select
        {{ dbt.cast('current_window.grid_code', api.Column.translate_type('string')) }} as grid_code,
        {{ dbt.cast('grids.grid_name', api.Column.translate_type('string')) }} as grid_name,
        {{ dbt.cast('current_window.township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('current_window.window_start', api.Column.translate_type('date')) }} as window_start,
        {{ dbt.cast('current_window.window_end', api.Column.translate_type('date')) }} as window_end,
        {{ dbt.cast('current_window.population', api.Column.translate_type('bigint')) }} as population,
        {{ dbt.cast('current_window.penalties', api.Column.translate_type('bigint')) }} as penalties,
        {{ dbt.cast('current_window.petitions_disputes', api.Column.translate_type('bigint')) }} as petitions_disputes,
        {{ dbt.cast('current_window.valid_alarms', api.Column.translate_type('bigint')) }} as valid_alarms,
        {{ dbt.cast('current_window.penalty_rate', type_double()) }} as penalty_rate,
        {{ dbt.cast('current_window.petition_rate', type_double()) }} as petition_rate,
        {{ dbt.cast('current_window.alarm_rate', type_double()) }} as alarm_rate,
        {{ dbt.cast('current_window.penalty_pct', type_double()) }} as penalty_pct,
        {{ dbt.cast('current_window.petition_pct', type_double()) }} as petition_pct,
        {{ dbt.cast('current_window.alarm_pct', type_double()) }} as alarm_pct,
        {{ dbt.cast('current_window.score', type_double()) }} as score,
        {{ dbt.cast('current_window.color', api.Column.translate_type('string')) }} as color,
        {{ dbt.cast('current_window.grey_reason', api.Column.translate_type('string')) }} as grey_reason,
        {{ dbt.cast('previous_window.color', api.Column.translate_type('string')) }} as last_week_color,
        {{ dbt.cast('current_window.share_higher', type_double()) }} as share_higher,
        {{ dbt.cast('current_window.n_ranked', api.Column.translate_type('bigint')) }} as ranked_grids_in_township
    from current_window
    left join grids
        on current_window.grid_code = grids.grid_code
    left join previous_window
        on current_window.grid_code = previous_window.grid_code

)

select * from final
