{#- Materialized as a table: both grid-colour marts and their tests read it, and as a view
    the 106-window scoring ran three times (≈7 s of a 14 s build on the demo lake). -#}
{{ config(materialized='table') }}
{#-
  §8 scoring, per window: rates per 1,000 实有人口; grids under 50 people are grey and not
  ranked. Within each township, percentile = (average ascending rank of ties − 1) / (N − 1)
  (0 when N = 1); score = 100 × mean of the three percentiles, rounded to 1e-6 so that
  equal scores compare equal; h = share of ranked grids with a strictly higher score
  (= (descending rank − 1) / N, ties share the more severe colour).
-#}
with

window_counts as (

    select * from {{ ref('int_grid_colors__window_counts') }}

),

rated as (

    select
        window_counts.*,
        coalesce(population >= {{ var('grid_min_population', 50) }}, false) as is_ranked,
        case when population >= {{ var('grid_min_population', 50) }}
            then penalties * 1000.0 / population end as penalty_rate,
        case when population >= {{ var('grid_min_population', 50) }}
            then petitions_disputes * 1000.0 / population end as petition_rate,
        case when population >= {{ var('grid_min_population', 50) }}
            then valid_alarms * 1000.0 / population end as alarm_rate
    from window_counts

),

ranks as (

    select
        township_code,
        window_end,
        grid_code,
        count(*) over (partition by township_code, window_end) as n_ranked,
        rank() over (partition by township_code, window_end order by penalty_rate) as penalty_rank,
        count(*) over (partition by township_code, window_end, penalty_rate) as penalty_ties,
        rank() over (partition by township_code, window_end order by petition_rate) as petition_rank,
        count(*) over (partition by township_code, window_end, petition_rate) as petition_ties,
        rank() over (partition by township_code, window_end order by alarm_rate) as alarm_rank,
        count(*) over (partition by township_code, window_end, alarm_rate) as alarm_ties
    from rated
    where is_ranked

),

percentiles as (

    select
        township_code,
        window_end,
        grid_code,
        n_ranked,
        case when n_ranked > 1
            then (penalty_rank + (penalty_ties - 1) / 2.0 - 1) / (n_ranked - 1) else 0 end as penalty_pct,
        case when n_ranked > 1
            then (petition_rank + (petition_ties - 1) / 2.0 - 1) / (n_ranked - 1) else 0 end as petition_pct,
        case when n_ranked > 1
            then (alarm_rank + (alarm_ties - 1) / 2.0 - 1) / (n_ranked - 1) else 0 end as alarm_pct
    from ranks

),

scored as (

    select
        percentiles.*,
        round({{ dbt.cast('100.0 * (penalty_pct + petition_pct + alarm_pct) / 3.0', type_double()) }}, 6) as score
    from percentiles

),

severity as (

    select
        scored.*,
        (rank() over (partition by township_code, window_end order by score desc) - 1)
            * 1.0 / n_ranked as share_higher
    from scored

),

final as (

    select
        rated.window_start,
        rated.window_end,
        rated.is_as_of,
        rated.is_week_end,
        rated.grid_code,
        rated.township_code,
        rated.population,
        rated.penalties,
        rated.petitions_disputes,
        rated.valid_alarms,
        rated.is_ranked,
        {{ dbt.cast('rated.penalty_rate', type_double()) }} as penalty_rate,
        {{ dbt.cast('rated.petition_rate', type_double()) }} as petition_rate,
        {{ dbt.cast('rated.alarm_rate', type_double()) }} as alarm_rate,
        {{ dbt.cast('severity.penalty_pct', type_double()) }} as penalty_pct,
        {{ dbt.cast('severity.petition_pct', type_double()) }} as petition_pct,
        {{ dbt.cast('severity.alarm_pct', type_double()) }} as alarm_pct,
        severity.score,
        {{ dbt.cast('severity.share_higher', type_double()) }} as share_higher,
        severity.n_ranked,
        case
            when not rated.is_ranked then 'grey'
            when severity.share_higher < 0.05 then 'red'
            when severity.share_higher < 0.15 then 'orange'
            when severity.share_higher < 0.35 then 'yellow'
            when severity.share_higher < 0.65 then 'blue'
            else 'green'
        end as color
    from rated
    left join severity
        on rated.window_end = severity.window_end
        and rated.grid_code = severity.grid_code

)

select * from final
