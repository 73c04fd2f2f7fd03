{#- The burden 综合查一次 should lower: per township, calendar year and 检查对象类型 (plus
    'all'), distinct targets inspected, inspections, inspections per target and the
    one-visit share. -#}
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

prepared as (

    select
        township_code,
        {{ dbt.cast('extract(year from inspected_on)', api.Column.translate_type('integer')) }} as inspection_year,
        coalesce(target_type, '未知') as target_type,
        inspection_id,
        target_code,
        inspection_method = '综合查一次' as is_one_visit
    from inspections
    where
        inspected_on is not null
        and inspected_on <= {{ as_of() }}  -- published figures stop at as_of (contract §2 v1.1)

),

by_target_type as (

    select
        township_code,
        inspection_year,
        target_type,
        count(distinct target_code) as targets,
        count(distinct inspection_id) as inspections,
        count(distinct case when is_one_visit then inspection_id end) as one_visit_inspections
    from prepared
    group by township_code, inspection_year, target_type

),

all_target_types as (

    select
        township_code,
        inspection_year,
        'all' as target_type,
        count(distinct target_code) as targets,
        count(distinct inspection_id) as inspections,
        count(distinct case when is_one_visit then inspection_id end) as one_visit_inspections
    from prepared
    group by township_code, inspection_year

),

unioned as (

    select * from by_target_type
    union all
    select * from all_target_types

),

final as (

    select
        township_code,
        inspection_year,
        target_type,
        {{ dbt.cast('targets', api.Column.translate_type('bigint')) }} as targets,
        {{ dbt.cast('inspections', api.Column.translate_type('bigint')) }} as inspections,
        {{ dbt.cast('one_visit_inspections', api.Column.translate_type('bigint')) }} as one_visit_inspections,
        {{ dbt.cast('inspections * 1.0 / nullif(targets, 0)', type_double()) }} as inspections_per_target,
        {{ dbt.cast('one_visit_inspections * 1.0 / nullif(inspections, 0)', type_double()) }} as one_visit_share
    from unioned

)

select * from final
