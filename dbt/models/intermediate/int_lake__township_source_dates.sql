{#- Per township and source: the first and the last primary counting date of its published
    records (current versions, counting date on or before the as-of date). Says when a
    source's data start in a township (clause 5 has_prior_data, the §8 weekly history). -#}
{#- A table: several models and tests read it, and a view would be computed again for each. -#}
{{ config(materialized='table') }}
{% set sources = [('grid_events', 'stg_grid_events__events'),
                  ('inspections', 'stg_inspections__inspections'),
                  ('cases', 'stg_cases__cases'),
                  ('notices', 'stg_notices__notices'),
                  ('police_alarms', 'stg_police_alarms__alarms')] %}
with

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

records as (

    {% for src, model in sources %}
    select {{ dbt.string_literal(src) }} as source, township_code, counting_date
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        records.township_code,
        records.source,
        min(records.counting_date) as first_date,
        max(records.counting_date) as last_date
    from records
    inner join as_of
        on records.counting_date <= as_of.as_of_date
    group by records.township_code, records.source

)

select * from final
