{#- §7 first_violation_notices (all, 事项编码) and service_in_lieu, on 日期. -#}
with

notices as (

    select * from {{ ref('stg_notices__notices') }}

),

first_violation_all as (

    select
        township_code,
        notice_date as date_day,
        'first_violation_notices' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct notice_id)', type_double()) }} as value
    from notices
    where notice_type = '首违提醒'
    group by township_code, notice_date

),

first_violation_by_matter as (

    select
        township_code,
        notice_date as date_day,
        'first_violation_notices' as indicator,
        coalesce(matter_code, '未知') as breakdown,
        {{ dbt.cast('count(distinct notice_id)', type_double()) }} as value
    from notices
    where notice_type = '首违提醒'
    group by township_code, notice_date, coalesce(matter_code, '未知')

),

service_in_lieu as (

    select
        township_code,
        notice_date as date_day,
        'service_in_lieu' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct notice_id)', type_double()) }} as value
    from notices
    where notice_type = '以服代罚'
    group by township_code, notice_date

),

final as (

    select * from first_violation_all
    union all
    select * from first_violation_by_matter
    union all
    select * from service_in_lieu

)

select * from final
