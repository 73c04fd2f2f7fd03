{#- Empowered-matter utilisation per township and 执法领域 (plus 'all'): matters in the
    catalogue (赋权事项目录) vs matters actually used by a counted case filed on or after the
    matter's 赋权日期. -#}
with

matters as (

    select * from {{ ref('dim_matters') }}

),

cases as (

    select * from {{ ref('int_cases__counted') }}

),

matter_use as (

    select
        matters.township_code,
        matters.matter_code,
        coalesce(matters.enforcement_domain, '未知') as enforcement_domain,
        count(distinct cases.case_id) as cases_filed
    from matters
    left join cases
        on
            matters.township_code = cases.township_code
            and matters.matter_code = cases.matter_code
            and cases.filed_on >= coalesce(matters.empowered_on, cases.filed_on)
    group by matters.township_code, matters.matter_code, coalesce(matters.enforcement_domain, '未知')

),

by_domain as (

    select
        township_code,
        enforcement_domain,
        count(*) as matters_in_catalogue,
        sum(case when cases_filed > 0 then 1 else 0 end) as matters_used,
        sum(cases_filed) as cases_filed,
        1 as domains_in_catalogue,
        max(case when cases_filed > 0 then 1 else 0 end) as domains_used
    from matter_use
    group by township_code, enforcement_domain

),

all_domains as (

    select
        township_code,
        'all' as enforcement_domain,
        sum(matters_in_catalogue),
        sum(matters_used),
        sum(cases_filed),
        sum(domains_in_catalogue),
        sum(domains_used)
    from by_domain
    group by township_code

),

unioned as (

    select * from by_domain
    union all
    select * from all_domains

),

final as (

    select
        township_code,
        enforcement_domain,
        {{ dbt.cast('matters_in_catalogue', api.Column.translate_type('bigint')) }} as matters_in_catalogue,
        {{ dbt.cast('matters_used', api.Column.translate_type('bigint')) }} as matters_used,
        {{ dbt.cast('matters_used * 1.0 / nullif(matters_in_catalogue, 0)', type_double()) }} as utilisation_share,
        {{ dbt.cast('cases_filed', api.Column.translate_type('bigint')) }} as cases_filed,
        {{ dbt.cast('domains_in_catalogue', api.Column.translate_type('bigint')) }} as domains_in_catalogue,
        {{ dbt.cast('domains_used', api.Column.translate_type('bigint')) }} as domains_used
    from unioned

)

select * from final
