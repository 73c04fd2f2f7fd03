{#- §7 cases_filed (all, 执法领域) on 立案日期; cases_closed and fines_yuan on 结案日期;
    police_transfers on 移送公安日期, else 结案日期. All exclude 撤销立案 (int_cases__counted). -#}
with

cases as (

    select * from {{ ref('int_cases__counted') }}

),

cases_filed_all as (

    select
        township_code,
        filed_on as date_day,
        'cases_filed' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct case_id)', type_double()) }} as value
    from cases
    where filed_on is not null
    group by township_code, filed_on

),

cases_filed_by_domain as (

    select
        township_code,
        filed_on as date_day,
        'cases_filed' as indicator,
        coalesce(enforcement_domain, '未知') as breakdown,
        {{ dbt.cast('count(distinct case_id)', type_double()) }} as value
    from cases
    where filed_on is not null
    group by township_code, filed_on, coalesce(enforcement_domain, '未知')

),

cases_closed as (

    select
        township_code,
        closed_on as date_day,
        'cases_closed' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct case_id)', type_double()) }} as value
    from cases
    where closed_on is not null
    group by township_code, closed_on

),

fines_yuan as (

    select
        township_code,
        closed_on as date_day,
        'fines_yuan' as indicator,
        'all' as breakdown,
        {{ dbt.cast('sum(fine_yuan)', type_double()) }} as value
    from cases
    where
        closed_on is not null
        and fine_yuan is not null
    group by township_code, closed_on

),

police_transfers as (

    select
        township_code,
        coalesce(police_transfer_on, closed_on) as date_day,
        'police_transfers' as indicator,
        'all' as breakdown,
        {{ dbt.cast('count(distinct case_id)', type_double()) }} as value
    from cases
    where
        outcome = '移送公安'
        and coalesce(police_transfer_on, closed_on) is not null
    group by township_code, coalesce(police_transfer_on, closed_on)

),

final as (

    select * from cases_filed_all
    union all
    select * from cases_filed_by_domain
    union all
    select * from cases_closed
    union all
    select * from fines_yuan
    union all
    select * from police_transfers

)

select * from final
