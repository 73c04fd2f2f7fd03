{#- §7 comparisons: per township, indicator, breakdown and window (week, 28 days, month,
    year-to-date, reform-to-date, all ending as_of) vs the same period a year earlier:
    absolute change; percent change only when the earlier count ≥ 20 (else is_small_base,
    小基数); Poisson z = 2(√now − √before) with watch (|z| ≥ 2) / alert (|z| ≥ 3) — not for
    fines_yuan, which is money, not a count; rates per 10,000 常住人口. -#}
with

comparison_values as (

    select * from {{ ref('int_comparisons__values') }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

measured as (

    select
        comparison_values.*,
        case when indicator <> 'fines_yuan'
            then {{ poisson_z('value_now', 'value_before') }} end as poisson_z,
        townships.resident_population
    from comparison_values
    left join townships
        on comparison_values.township_code = townships.township_code

),

final as (

    select
        township_code,
        window_name,
        period_start,
        period_end,
        prior_start,
        prior_end,
        indicator,
        breakdown,
        value_now,
        value_before,
        {{ dbt.cast('value_now - value_before', type_double()) }} as abs_change,
        {{ pct_change('value_now', 'value_before') }} as pct_change,
        {{ is_small_base('value_before') }} as is_small_base,
        poisson_z,
        case when poisson_z is not null then {{ poisson_signal('poisson_z') }} end as signal,
        {{ dbt.cast('value_now * 10000.0 / nullif(resident_population, 0)', type_double()) }} as rate_now_per_10k,
        {{ dbt.cast('value_before * 10000.0 / nullif(resident_population, 0)', type_double()) }} as rate_before_per_10k
    from measured

)

select * from final
