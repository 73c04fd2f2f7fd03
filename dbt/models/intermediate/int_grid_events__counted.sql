{#- Grid events that count (§7): every current event except 办理状态 已作废. -#}
{#- A table: several models and tests read it, and a view would be computed again for each. -#}
{{ config(materialized='table') }}
with

events as (

    select * from {{ ref('stg_grid_events__events') }}

),

final as (

    select
        event_id,
        township_code,
        grid_code,
        reported_at,
        counting_date as reported_on,
        event_source,
        event_category,
        status,
        coalesce(is_enforcement_lead, false) as is_enforcement_lead,
        event_category in ('矛盾纠纷', '信访') as is_petition_dispute,
        related_case_id
    from events
    where coalesce(status, '') <> '已作废'

)

select * from final
