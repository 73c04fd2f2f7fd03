{#- Materialized as a table: both grid-colour marts and their tests read it, and as a view
    the 106-window scoring ran three times (≈7 s of a 14 s build on the demo lake). -#}
{{ config(materialized='table') }}
{#-
  §8 scoring, per window: rates per 1,000 实有人口. A grid under 50 people is grey
  (grey_reason low_population) and not ranked; a township with fewer than 10 grids of 50 or
  more people cannot be ranked — all its grids are grey (too_few_grids) (contract §8 v1.1).
  Within each ranked township, percentile = (average ascending rank of ties − 1) / (N − 1);
  score = 100 × mean of the three percentiles, rounded to 1e-6 so that equal scores compare
  equal; h = share of ranked grids with a strictly higher score (= (descending rank − 1) /
  N, ties share the more severe colour). A ranked grid whose three counts are all zero is
  green whatever its rank (it still counts in N).
-#}
{%- set five_colour = var('five_colour') -%}
{%- set min_population = five_colour['min_population'] -%}
{%- set min_ranked_grids = five_colour['min_ranked_grids'] -%}
with

window_counts as (

    select * from {{ ref('int_grid_colors__window_counts') }}

),

populated as (

    select
        window_counts.*,
        coalesce(population >= {{ min_population }}, false) as has_population,
        case
            when population >= {{ min_population }}
                then penalties * 1000.0 / population
        end as penalty_rate,
        case
            when population >= {{ min_population }}
                then petitions_disputes * 1000.0 / population
        end as petition_rate,
        case
            when population >= {{ min_population }}
                then valid_alarms * 1000.0 / population
        end as alarm_rate
    from window_counts

),

rated as (

    select
        populated.*,
        sum(case when has_population then 1 else 0 end)
            over (partition by township_code, window_end) as n_populated
    from populated

),

classified as (

    select
        rated.*,
        has_population and n_populated >= {{ min_ranked_grids }} as is_ranked,
        case
            when not has_population then 'low_population'
            when n_populated < {{ min_ranked_grids }} then 'too_few_grids'
        end as grey_reason
    from rated

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
    from classified
    where is_ranked

),

percentiles as (

    select
        township_code,
        window_end,
        grid_code,
        n_ranked,
        case
            when n_ranked > 1
                then (penalty_rank + (penalty_ties - 1) / 2.0 - 1) / (n_ranked - 1)
            else 0
        end as penalty_pct,
        case
            when n_ranked > 1
                then (petition_rank + (petition_ties - 1) / 2.0 - 1) / (n_ranked - 1)
            else 0
        end as petition_pct,
        case
            when n_ranked > 1
                then (alarm_rank + (alarm_ties - 1) / 2.0 - 1) / (n_ranked - 1)
            else 0
        end as alarm_pct
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
        classified.window_start,
        classified.window_end,
        classified.is_as_of,
        classified.is_week_end,
        classified.grid_code,
        classified.township_code,
        classified.population,
        classified.penalties,
        classified.petitions_disputes,
        classified.valid_alarms,
        classified.is_ranked,
        {{ dbt.cast('classified.penalty_rate', type_double()) }} as penalty_rate,
        {{ dbt.cast('classified.petition_rate', type_double()) }} as petition_rate,
        {{ dbt.cast('classified.alarm_rate', type_double()) }} as alarm_rate,
        {{ dbt.cast('severity.penalty_pct', type_double()) }} as penalty_pct,
        {{ dbt.cast('severity.petition_pct', type_double()) }} as petition_pct,
        {{ dbt.cast('severity.alarm_pct', type_double()) }} as alarm_pct,
        severity.score,
        {{ dbt.cast('severity.share_higher', type_double()) }} as share_higher,
        classified.n_populated as n_ranked,
        case
            when not classified.is_ranked then 'grey'
            when
                classified.penalties = 0
                and classified.petitions_disputes = 0
                and classified.valid_alarms = 0 then 'green'
            {%- for c in five_colour['colours'] %}
            {% if c['h_below'] is not none %}when severity.share_higher < {{ c['h_below'] }} then '{{ c['color'] }}'
            {%- else %}else '{{ c['color'] }}'{% endif %}
            {%- endfor %}
        end as color,
        classified.grey_reason
    from classified
    left join severity
        on
            classified.window_end = severity.window_end
            and classified.grid_code = severity.grid_code

)

select * from final
