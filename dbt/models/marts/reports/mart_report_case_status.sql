{#- Issue 10 (案件 page): where each township's cases stand on the as-of date — cases
    counted as §7 cases_filed (撤销立案 excluded) filed up to as_of: closed by as_of, and
    the open ones by how long since 立案 (0–30, 31–90, over 90 days), plus transfers to
    police (处理结果 移送公安) — one row per township and year of 立案 (plus 'all'). -#}
with

cases as (

    select * from {{ ref('int_cases__counted') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

prepared as (

    select
        cases.township_code,
        cases.case_id,
        cases.outcome,
        {{ dbt.cast('extract(year from cases.filed_on)', api.Column.translate_type('string')) }} as filed_year,
        cases.closed_on is not null and cases.closed_on <= as_of.as_of_date as is_closed,
        {{ dbt.datediff('cases.filed_on', 'as_of.as_of_date', 'day') }} as days_since_filed
    from cases
    cross join as_of
    where cases.filed_on <= as_of.as_of_date

),

periods as (

    select
        prepared.*,
        filed_year as period
    from prepared
    union all
    select
        prepared.*,
        'all' as period
    from prepared

),

aggregated as (

    select
        township_code,
        period,
        count(distinct case_id) as cases_filed,
        count(distinct case when is_closed then case_id end) as cases_closed,
        count(distinct case when not is_closed then case_id end) as cases_open,
        count(distinct case when not is_closed and days_since_filed <= 30 then case_id end) as open_0_30_days,
        count(distinct case when not is_closed and days_since_filed > 30 and days_since_filed <= 90 then case_id end)
            as open_31_90_days,
        count(distinct case when not is_closed and days_since_filed > 90 then case_id end) as open_over_90_days,
        count(distinct case when outcome = '移送公安' then case_id end) as police_transfers
    from periods
    group by township_code, period

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('period', api.Column.translate_type('string')) }} as period,
        {{ dbt.cast('cases_filed', api.Column.translate_type('bigint')) }} as cases_filed,
        {{ dbt.cast('cases_closed', api.Column.translate_type('bigint')) }} as cases_closed,
        {{ dbt.cast('cases_open', api.Column.translate_type('bigint')) }} as cases_open,
        {{ dbt.cast('open_0_30_days', api.Column.translate_type('bigint')) }} as open_0_30_days,
        {{ dbt.cast('open_31_90_days', api.Column.translate_type('bigint')) }} as open_31_90_days,
        {{ dbt.cast('open_over_90_days', api.Column.translate_type('bigint')) }} as open_over_90_days,
        {{ dbt.cast('police_transfers', api.Column.translate_type('bigint')) }} as police_transfers,
        {{ dbt.cast('cases_closed * 1.0 / nullif(cases_filed, 0)', type_double()) }} as closed_share
    from aggregated
    where township_code is not null

)

select * from final
