{#- Issue 10 (改革对比, 队网协作): enforcement leads and their conversion to cases per township,
    事件来源 (plus 'all') and period — 'all' (every month), 'reform_to_date' (from the month of
    the township's reform start) and each calendar year — summed from mart_lead_conversion's
    months up to as_of; days from report to case as the median, lowest and highest of the
    monthly medians. -#}
with

monthly as (

    select * from {{ ref('mart_lead_conversion') }}
    where month_start <= {{ as_of() }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

periods as (

    select
        township_code,
        event_source,
        'all' as period,
        enforcement_leads,
        leads_with_case,
        median_days_to_case
    from monthly
    union all
    select
        monthly.township_code,
        monthly.event_source,
        'reform_to_date' as period,
        monthly.enforcement_leads,
        monthly.leads_with_case,
        monthly.median_days_to_case
    from monthly
    inner join townships
        on monthly.township_code = townships.township_code
    where monthly.month_start >= {{ dbt.date_trunc('month', 'townships.reform_start_date') }}
    union all
    select
        township_code,
        event_source,
        {{ dbt.cast('extract(year from month_start)', api.Column.translate_type('string')) }} as period,
        enforcement_leads,
        leads_with_case,
        median_days_to_case
    from monthly

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('event_source', api.Column.translate_type('string')) }} as event_source,
        {{ dbt.cast('period', api.Column.translate_type('string')) }} as period,
        {{ dbt.cast('count(*)', api.Column.translate_type('bigint')) }} as months,
        {{ dbt.cast('sum(coalesce(enforcement_leads, 0))', api.Column.translate_type('bigint')) }} as enforcement_leads,
        {{ dbt.cast('sum(coalesce(leads_with_case, 0))', api.Column.translate_type('bigint')) }} as leads_with_case,
        {{ dbt.cast('sum(coalesce(leads_with_case, 0)) * 1.0 / nullif(sum(coalesce(enforcement_leads, 0)), 0)',
                    type_double()) }} as conversion_share,
        {{ dbt.cast(percentile_cont('median_days_to_case', 0.5), type_double()) }} as median_of_monthly_median_days,
        {{ dbt.cast('min(median_days_to_case)', type_double()) }} as min_monthly_median_days,
        {{ dbt.cast('max(median_days_to_case)', type_double()) }} as max_monthly_median_days
    from periods
    group by township_code, event_source, period

)

select * from final
