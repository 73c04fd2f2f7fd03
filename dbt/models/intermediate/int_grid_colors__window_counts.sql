{#- §8 components per micro-grid and 56-day window: penalties (cases filed, by 所属网格),
    petitions_disputes (events, by 所属网格) and valid_alarms (incidents, by the grid of
    their first valid alarm). Every micro-grid appears in every window (zeros kept). -#}
{#- A table: several models and tests read it, and a view would be computed again for each. -#}
{{ config(materialized='table') }}
with

windows as (

    select * from {{ ref('int_grid_colors__windows') }}

),

grids as (

    select * from {{ ref('stg_reference__grids') }}

),

cases as (

    select * from {{ ref('int_cases__counted') }}

),

events as (

    select * from {{ ref('int_grid_events__counted') }}

),

incidents as (

    select * from {{ ref('int_police_alarms__incidents') }}

),

micro_grids as (

    select
        grid_code,
        township_code,
        actual_population
    from grids
    where grid_type = '微网格'

),

grid_days as (

    select
        grid_code,
        filed_on as date_day,
        1 as penalties,
        0 as petitions_disputes,
        0 as valid_alarms
    from cases
    where grid_code is not null and filed_on is not null
    union all
    select
        grid_code,
        reported_on,
        0,
        1,
        0
    from events
    where is_petition_dispute and grid_code is not null
    union all
    select
        grid_code,
        first_reported_on,
        0,
        0,
        1
    from incidents
    where is_valid and grid_code is not null

),

grid_day_counts as (

    select
        grid_code,
        date_day,
        sum(penalties) as penalties,
        sum(petitions_disputes) as petitions_disputes,
        sum(valid_alarms) as valid_alarms
    from grid_days
    group by grid_code, date_day

),

window_totals as (

    select
        windows.window_end,
        grid_day_counts.grid_code,
        sum(grid_day_counts.penalties) as penalties,
        sum(grid_day_counts.petitions_disputes) as petitions_disputes,
        sum(grid_day_counts.valid_alarms) as valid_alarms
    from grid_day_counts
    inner join windows
        on grid_day_counts.date_day between windows.window_start and windows.window_end
    group by windows.window_end, grid_day_counts.grid_code

),

final as (

    select
        windows.window_start,
        windows.window_end,
        windows.is_as_of,
        windows.is_week_end,
        micro_grids.grid_code,
        micro_grids.township_code,
        micro_grids.actual_population as population,
        {{ dbt.cast('coalesce(window_totals.penalties, 0)', api.Column.translate_type('bigint')) }} as penalties,
        {{ dbt.cast('coalesce(window_totals.petitions_disputes, 0)', api.Column.translate_type('bigint')) }} as petitions_disputes,
        {{ dbt.cast('coalesce(window_totals.valid_alarms, 0)', api.Column.translate_type('bigint')) }} as valid_alarms
    from windows
    cross join micro_grids
    left join window_totals
        on
            windows.window_end = window_totals.window_end
            and micro_grids.grid_code = window_totals.grid_code

)

select * from final
