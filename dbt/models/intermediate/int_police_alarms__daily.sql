{#- §7 alarms_received (incidents) and valid_alarms (all, 警情细类 of the first valid alarm),
    on the date of the incident's first 报警时间. -#}
with

incidents as (

    select * from {{ ref('int_police_alarms__incidents') }}

),

alarms_received as (

    select
        township_code,
        first_reported_on as date_day,
        'alarms_received' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct incident_id)', type_double()) }} as value
    from incidents
    group by township_code, first_reported_on

),

valid_alarms_all as (

    select
        township_code,
        first_reported_on as date_day,
        'valid_alarms' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct incident_id)', type_double()) }} as value
    from incidents
    where is_valid
    group by township_code, first_reported_on

),

valid_alarms_by_subcategory as (

    select
        township_code,
        first_reported_on as date_day,
        'valid_alarms' as indicator,
        coalesce(alarm_subcategory, '未知') as breakdown,
        {{ dbt.cast('count(distinct incident_id)', type_double()) }} as value
    from incidents
    where is_valid
    group by township_code, first_reported_on, coalesce(alarm_subcategory, '未知')

),

final as (

    select * from alarms_received
    union all
    select * from valid_alarms_all
    union all
    select * from valid_alarms_by_subcategory

)

select * from final
