{#- Issue 10 (周情分析): the open items a township discusses on Wednesday, one row each, as
    of the run's as-of date:
      event_overdue   一网统管 events still 已受理/处置中 whose 处置期限 has passed
      hazard_open     inspections with hazards 整改中 or 逾期未整改 (not yet accepted)
      hazard_overdue  of those, 逾期未整改 or 整改期限 before as_of
      case_open_90d   cases filed more than 90 days before as_of and not closed by as_of
                      (撤销立案 excluded)
    A hazard that is overdue appears twice (hazard_open and hazard_overdue). -#}
with

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

events as (

    select
        events.township_code,
        'event_overdue' as item_type,
        events.event_id as item_id,
        events.grid_code,
        events.event_category as category,
        cast(events.reported_at as date) as opened_on,
        cast(events.due_at as date) as due_on
    from {{ ref('stg_grid_events__events') }} as events
    cross join as_of
    where
        events.status in ('已受理', '处置中')
        and cast(events.reported_at as date) <= as_of.as_of_date
        and cast(events.due_at as date) < as_of.as_of_date

),

hazards as (

    select
        inspections.township_code,
        inspections.inspection_id as item_id,
        inspections.grid_code,
        coalesce(nullif(trim(inspections.campaign), ''), inspections.target_type) as category,
        inspections.inspected_on as opened_on,
        inspections.rectification_due_on as due_on,
        inspections.rectification_status = '逾期未整改'
        or inspections.rectification_due_on < as_of.as_of_date as is_overdue
    from {{ ref('stg_inspections__inspections') }} as inspections
    cross join as_of
    where
        inspections.rectification_status in ('整改中', '逾期未整改')
        and coalesce(inspections.hazards_found, 0) > 0
        and inspections.inspected_on <= as_of.as_of_date

),

cases as (

    select
        cases.township_code,
        'case_open_90d' as item_type,
        cases.case_id as item_id,
        cases.grid_code,
        cases.enforcement_domain as category,
        cases.filed_on as opened_on,
        cast(null as date) as due_on
    from {{ ref('stg_cases__cases') }} as cases
    cross join as_of
    where
        cases.filed_on <= as_of.as_of_date - interval 90 day
        and (cases.closed_on is null or cases.closed_on > as_of.as_of_date)
        and cases.outcome is distinct from '撤销立案'

),

unioned as (

    select * from events
    union all
    select
        township_code,
        'hazard_open',
        item_id,
        grid_code,
        category,
        opened_on,
        due_on
    from hazards
    union all
    select
        township_code,
        'hazard_overdue',
        item_id,
        grid_code,
        category,
        opened_on,
        due_on
    from hazards
    where is_overdue
    union all
    select * from cases

),

final as (

    select
        {{ dbt.cast('unioned.township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('unioned.item_type', api.Column.translate_type('string')) }} as item_type,
        {{ dbt.cast('unioned.item_id', api.Column.translate_type('string')) }} as item_id,
        {{ dbt.cast('unioned.grid_code', api.Column.translate_type('string')) }} as grid_code,
        {{ dbt.cast('unioned.category', api.Column.translate_type('string')) }} as category,
        {{ dbt.cast('unioned.opened_on', api.Column.translate_type('date')) }} as opened_on,
        {{ dbt.cast('unioned.due_on', api.Column.translate_type('date')) }} as due_on,
        {{ dbt.cast('as_of.as_of_date - unioned.opened_on', api.Column.translate_type('integer')) }} as days_open
    from unioned
    cross join as_of
    where unioned.township_code is not null

)

select * from final
