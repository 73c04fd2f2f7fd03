{#- §7 comparisons: per township, indicator, breakdown and window (week, last_week, 28 days,
    month, year-to-date, reform-to-date; see int_comparisons__windows) vs the same period a
    year earlier: absolute change; percent change only when the earlier count ≥ 20 (else
    is_small_base, 小基数); Poisson z = 2(√now − √before) with watch (|z| ≥ 2) / alert
    (|z| ≥ 3) — not for fines_yuan, which is money, not a count; rates per 10,000 常住人口.
    Where the data do not reach back to the earlier period (has_prior_data false) there is
    no comparison: value_before and everything derived from it are NULL, never a change
    against zero. -#}
with

comparison_values as (

    select * from {{ ref('int_comparisons__values') }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

comparable as (

    select
        comparison_values.township_code,
        comparison_values.window_name,
        comparison_values.period_start,
        comparison_values.period_end,
        comparison_values.prior_start,
        comparison_values.prior_end,
        coalesce(comparison_values.has_prior_data, false) as has_prior_data,
        comparison_values.indicator,
        comparison_values.breakdown,
        comparison_values.value_now,
        case when comparison_values.has_prior_data then comparison_values.value_before end as value_before,
        townships.resident_population
    from comparison_values
    left join townships
        on comparison_values.township_code = townships.township_code

),

measured as (

    select
        comparable.*,
        case
            when indicator <> 'fines_yuan'
                then {{ poisson_z('value_now', 'value_before') }}
        end as poisson_z
    from comparable

),

final as (

    select
        township_code,
        window_name,
        period_start,
        period_end,
        prior_start,
        prior_end,
        has_prior_data,
        indicator,
        breakdown,
        value_now,
        value_before,
        {{ dbt.cast('value_now - value_before', type_double()) }} as abs_change,
        {{ pct_change('value_now', 'value_before') }} as pct_change,
        case when has_prior_data then {{ is_small_base('value_before') }} end as is_small_base,
        poisson_z,
        case when poisson_z is not null then {{ poisson_signal('poisson_z') }} end as signal,
        {{ dbt.cast('value_now * 10000.0 / nullif(resident_population, 0)', type_double()) }} as rate_now_per_10k,
        {{ dbt.cast('value_before * 10000.0 / nullif(resident_population, 0)', type_double()) }} as rate_before_per_10k
    from measured

)

select * from final
