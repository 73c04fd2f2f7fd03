{#- §7 events_reported, enforcement_leads, petitions_disputes per township and day. -#}
with

events as (

    select * from {{ ref('int_grid_events__counted') }}

),

events_reported as (

    select
        township_code,
        reported_on as date_day,
        'events_reported' as indicator,
        'all' as breakdown,
        count(distinct event_id) as value
    from events
    group by township_code, reported_on

),

enforcement_leads as (

    select
        township_code,
        reported_on as date_day,
        'enforcement_leads' as indicator,
        'all' as breakdown,
        count(distinct event_id) as value
    from events
    where is_enforcement_lead
    group by township_code, reported_on

),

petitions_disputes as (

    select
        township_code,
        reported_on as date_day,
        'petitions_disputes' as indicator,
        'all' as breakdown,
        count(distinct event_id) as value
    from events
    where is_petition_dispute
    group by township_code, reported_on

),

unioned as (

    select * from events_reported
    union all
    select * from enforcement_leads
    union all
    select * from petitions_disputes

),

final as (

    select
        township_code,
        date_day,
        indicator,
        breakdown,
        {{ dbt.cast('value', type_double()) }} as value
    from unioned

)

select * from final
