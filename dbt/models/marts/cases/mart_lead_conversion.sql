{#- Team–grid collaboration: enforcement leads (§7 enforcement_leads) per township, month of
    report and 事件来源 (plus 'all'), the share that became a case (the event's 关联案件编号
    names a counted case, or a case's 关联事件编号 names the event), and days from the lead's
    report to the first linked case's 立案日期. -#}
with

events as (

    select * from {{ ref('int_grid_events__counted') }}
    where reported_on <= {{ as_of() }}  -- published figures stop at as_of (contract §2 v1.1)

),

cases as (

    select * from {{ ref('int_cases__counted') }}
    where filed_on <= {{ as_of() }}

),

leads as (

    select * from events
    where is_enforcement_lead

),

links as (

    select
        leads.event_id,
        cases.case_id,
        cases.filed_on
    from leads
    inner join cases
        on leads.related_case_id = cases.case_id
    union
    select
        leads.event_id,
        cases.case_id,
        cases.filed_on
    from leads
    inner join cases
        on leads.event_id = cases.related_event_id

),

first_case as (

    select
        event_id,
        min(filed_on) as first_case_filed_on,
        count(distinct case_id) as linked_cases
    from links
    group by event_id

),

lead_outcomes as (

    select
        leads.township_code,
        {{ dbt.cast(dbt.date_trunc('month', 'leads.reported_on'), api.Column.translate_type('date')) }} as month_start,
        coalesce(leads.event_source, '未知') as event_source,
        leads.event_id,
        first_case.event_id is not null as became_case,
        case
            when first_case.first_case_filed_on is not null
                then {{ dbt.datediff('leads.reported_on', 'first_case.first_case_filed_on', 'day') }}
        end as days_to_case
    from leads
    left join first_case
        on leads.event_id = first_case.event_id

),

periods as (

    select
        township_code,
        month_start,
        event_source,
        event_id,
        became_case,
        days_to_case
    from lead_outcomes
    union all
    select
        township_code,
        month_start,
        'all',
        event_id,
        became_case,
        days_to_case
    from lead_outcomes

),

final as (

    select
        township_code,
        month_start,
        event_source,
        {{ dbt.cast('count(*)', api.Column.translate_type('bigint')) }} as enforcement_leads,
        {{ dbt.cast('sum(case when became_case then 1 else 0 end)', api.Column.translate_type('bigint')) }} as leads_with_case,
        {{ dbt.cast('sum(case when became_case then 1 else 0 end) * 1.0 / count(*)', type_double()) }} as conversion_share,
        {{ dbt.cast(percentile_cont('days_to_case', 0.5), type_double()) }} as median_days_to_case
    from periods
    group by township_code, month_start, event_source

)

select * from final
