{#- One-visit inspections (综合查一次) by township, ISO week (Monday start) and 检查对象类型
    (plus 'all'): counts and share of all inspections, up to the as-of date (published
    figures stop there, contract §2 v1.1). -#}
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

weekly as (

    select
        township_code,
        {{ dbt.cast(dbt.date_trunc('week', 'inspected_on'), api.Column.translate_type('date')) }} as week_start,
        coalesce(target_type, '未知') as target_type,
        inspection_id,
        inspection_method = '综合查一次' as is_one_visit
    from inspections
    where inspected_on <= {{ as_of() }}

),

by_target_type as (

    select
        township_code,
        week_start,
        target_type,
        count(distinct inspection_id) as inspections,
        count(distinct case when is_one_visit then inspection_id end) as one_visit_inspections
    from weekly
    group by township_code, week_start, target_type

),

all_target_types as (

    select
        township_code,
        week_start,
        'all' as target_type,
        count(distinct inspection_id) as inspections,
        count(distinct case when is_one_visit then inspection_id end) as one_visit_inspections
    from weekly
    group by township_code, week_start

),

unioned as (

    select * from by_target_type
    union all
    select * from all_target_types

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        week_start,
        {{ dbt.cast('target_type', api.Column.translate_type('string')) }} as target_type,
        {{ dbt.cast('inspections', api.Column.translate_type('bigint')) }} as inspections,
        {{ dbt.cast('one_visit_inspections', api.Column.translate_type('bigint')) }} as one_visit_inspections,
        {{ dbt.cast('one_visit_inspections * 1.0 / nullif(inspections, 0)', type_double()) }} as one_visit_share
    from unioned

)

select * from final
