{#- contract §6/§7: one row per township, day, indicator and breakdown value; totals under
    breakdown 'all'; values additive (counts, yuan). Days up to the as-of date: rows dated
    as_of + 1 day stay in the warehouse but are published only by a later as-of (contract
    §2 v1.1); zero rows are omitted. -#}
with

townships as (

    select * from {{ ref('dim_townships') }}

),

grid_events as (

    select * from {{ ref('int_grid_events__daily') }}

),

inspections as (

    select * from {{ ref('int_inspections__daily') }}

),

cases as (

    select * from {{ ref('int_cases__daily') }}

),

notices as (

    select * from {{ ref('int_notices__daily') }}

),

police_alarms as (

    select * from {{ ref('int_police_alarms__daily') }}

),

unioned as (

    select * from grid_events
    union all
    select * from inspections
    union all
    select * from cases
    union all
    select * from notices
    union all
    select * from police_alarms

),

final as (

    select
        {{ dbt.cast('unioned.township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('townships.township_name', api.Column.translate_type('string')) }} as township_name,
        {{ dbt.cast('unioned.date_day', api.Column.translate_type('date')) }} as date,
        {{ dbt.cast('unioned.indicator', api.Column.translate_type('string')) }} as indicator,
        {{ dbt.cast('unioned.breakdown', api.Column.translate_type('string')) }} as breakdown,
        {{ dbt.cast('unioned.value', type_double()) }} as value
    from unioned
    left join townships
        on unioned.township_code = townships.township_code
    where
        unioned.date_day <= {{ as_of() }}
        and unioned.value <> 0

)

select * from final
