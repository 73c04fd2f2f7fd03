{#- Issue 10: the period of each 专项行动 per township (first and last 检查日期 recorded under
    it, up to as_of), for marking campaigns on the time charts. -#}
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

final as (

    select
        {{ dbt.cast('inspections.township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('trim(inspections.campaign)', api.Column.translate_type('string')) }} as campaign,
        {{ dbt.cast('min(inspections.inspected_on)', api.Column.translate_type('date')) }} as first_date,
        {{ dbt.cast('max(inspections.inspected_on)', api.Column.translate_type('date')) }} as last_date,
        {{ dbt.cast('count(distinct inspections.inspection_id)', api.Column.translate_type('bigint')) }} as inspections
    from inspections
    cross join as_of
    where
        nullif(trim(inspections.campaign), '') is not null
        and inspections.inspected_on <= as_of.as_of_date
    group by inspections.township_code, trim(inspections.campaign)

)

select * from final
