{#- Issue 10 (改革对比): per township and indicator, the monthly rate per 10,000 常住人口 (and
    per km²) averaged over the complete months before the reform start ('pre', months_since_reform
    < 0) and from the reform month on ('post'), from mart_township_comparison — the
    改革前 / 改革后 figures of compare.html, with the months and events they rest on. -#}
with

monthly as (

    select * from {{ ref('mart_township_comparison') }}
    where
        not coalesce(is_partial_month, false)
        and months_since_reform is not null

),

phased as (

    select
        township_code,
        indicator,
        months_since_reform,
        value,
        value_per_10k,
        value_per_km2,
        case when months_since_reform < 0 then 'pre' else 'post' end as phase
    from monthly

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('indicator', api.Column.translate_type('string')) }} as indicator,
        {{ dbt.cast('phase', api.Column.translate_type('string')) }} as phase,
        {{ dbt.cast('count(*)', api.Column.translate_type('bigint')) }} as months,
        {{ dbt.cast('min(months_since_reform)', api.Column.translate_type('integer')) }} as first_month,
        {{ dbt.cast('max(months_since_reform)', api.Column.translate_type('integer')) }} as last_month,
        {{ dbt.cast('sum(value)', type_double()) }} as events,
        -- rounded: a parallel sum of doubles may differ in the last bit from run to run
        {{ dbt.cast('round(avg(value_per_10k), 9)', type_double()) }} as mean_per_10k,
        {{ dbt.cast('round(avg(value_per_km2), 9)', type_double()) }} as mean_per_km2
    from phased
    group by township_code, indicator, phase

)

select * from final
