{#- Issue 10 (report pages): inspections per township and day split into 专项行动 (a
    non-empty 专项行动 on the inspection) and 日常 (routine), so the site can show a campaign
    surge as a campaign instead of as a change in routine work. Same records and date limit
    as fct_township_daily's inspections (检查日期 <= as_of). -#}
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

classified as (

    select
        inspections.township_code,
        inspections.inspected_on as date,
        case when nullif(trim(inspections.campaign), '') is not null then 'campaign' else 'routine' end as kind,
        inspections.inspection_id,
        inspections.inspection_method = '综合查一次' as is_one_visit
    from inspections
    cross join as_of
    where
        inspections.inspected_on <= as_of.as_of_date
        and inspections.inspected_on is not null

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('date', api.Column.translate_type('date')) }} as date,
        {{ dbt.cast('kind', api.Column.translate_type('string')) }} as kind,
        {{ dbt.cast('count(distinct inspection_id)', api.Column.translate_type('bigint')) }} as inspections,
        {{ dbt.cast('count(distinct case when is_one_visit then inspection_id end)', api.Column.translate_type('bigint')) }}
            as one_visit_inspections
    from classified
    group by township_code, date, kind

)

select * from final
