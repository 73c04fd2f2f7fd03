{#- §7 inspections (all, 检查对象类型), one_visit_inspections, hazards_found (on 检查日期)
    and hazards_accepted (on 验收日期, 整改状态 已整改). -#}
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

inspections_all as (

    select
        township_code,
        inspected_on as date_day,
        'inspections' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct inspection_id)', type_double()) }} as value
    from inspections
    group by township_code, inspected_on

),

inspections_by_target_type as (

    select
        township_code,
        inspected_on as date_day,
        'inspections' as indicator,
        coalesce(target_type, '未知') as breakdown,
        {{ dbt.cast('count(distinct inspection_id)', type_double()) }} as value
    from inspections
    group by township_code, inspected_on, coalesce(target_type, '未知')

),

one_visit_inspections as (

    select
        township_code,
        inspected_on as date_day,
        'one_visit_inspections' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct inspection_id)', type_double()) }} as value
    from inspections
    where inspection_method = '综合查一次'
    group by township_code, inspected_on

),

hazards_found as (

    select
        township_code,
        inspected_on as date_day,
        'hazards_found' as indicator,
        'all' as breakdown,
        {{ dbt.cast('sum(hazards_found)', type_double()) }} as value
    from inspections
    where hazards_found is not null
    group by township_code, inspected_on

),

hazards_accepted as (

    select
        township_code,
        accepted_on as date_day,
        'hazards_accepted' as indicator,
        'all' as breakdown,
        {{ dbt.cast('sum(hazards_found)', type_double()) }} as value
    from inspections
    where
        rectification_status = '已整改'
        and accepted_on is not null
        and hazards_found is not null
    group by township_code, accepted_on

),

final as (

    select * from inspections_all
    union all
    select * from inspections_by_target_type
    union all
    select * from one_visit_inspections
    union all
    select * from hazards_found
    union all
    select * from hazards_accepted

)

select * from final
