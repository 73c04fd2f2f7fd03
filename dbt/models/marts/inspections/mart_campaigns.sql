{#- contract §6 campaigns.csv: per township, 专项行动 and 检查对象类型 (plus 'all'):
    distinct targets (检查对象编码) checked, inspections, hazards found / accepted
    (整改状态 已整改) / overdue (整改期限 before as_of, not accepted), distinct targets
    banned (处置结果 依法取缔). Over every inspection recorded under the campaign up to the
    as-of date (检查日期 <= as_of), hazards accepted only with 验收日期 <= as_of — the same
    records and date limits as fct_township_daily (contract §2 v1.1). -#}
with

inspections as (

    select * from {{ ref('stg_inspections__inspections') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

campaign_inspections as (

    select
        inspections.township_code,
        inspections.campaign,
        coalesce(inspections.target_type, '未知') as target_type,
        inspections.inspection_id,
        inspections.target_code,
        coalesce(inspections.hazards_found, 0) as hazards_found,
        case
            when
                inspections.rectification_status = '已整改'
                and inspections.accepted_on <= as_of.as_of_date
                then coalesce(inspections.hazards_found, 0)
            else 0
        end as hazards_accepted,
        case
            when
                inspections.rectification_status not in ('已整改', '无需整改')
                and inspections.rectification_due_on < as_of.as_of_date
                then coalesce(inspections.hazards_found, 0)
            else 0
        end as hazards_overdue,
        case when inspections.disposition = '依法取缔' then inspections.target_code end as banned_target_code
    from inspections
    cross join as_of
    where
        inspections.campaign is not null
        and inspections.campaign <> ''
        and inspections.inspected_on <= as_of.as_of_date

),

by_target_type as (

    select
        township_code,
        campaign,
        target_type,
        count(distinct target_code) as targets_checked,
        count(distinct inspection_id) as inspections,
        sum(hazards_found) as hazards_found,
        sum(hazards_accepted) as hazards_accepted,
        count(distinct banned_target_code) as banned,
        sum(hazards_overdue) as hazards_overdue
    from campaign_inspections
    group by township_code, campaign, target_type

),

all_target_types as (

    select
        township_code,
        campaign,
        'all' as target_type,
        count(distinct target_code) as targets_checked,
        count(distinct inspection_id) as inspections,
        sum(hazards_found) as hazards_found,
        sum(hazards_accepted) as hazards_accepted,
        count(distinct banned_target_code) as banned,
        sum(hazards_overdue) as hazards_overdue
    from campaign_inspections
    group by township_code, campaign

),

unioned as (

    select * from by_target_type
    union all
    select * from all_target_types

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('campaign', api.Column.translate_type('string')) }} as campaign,
        {{ dbt.cast('target_type', api.Column.translate_type('string')) }} as target_type,
        {{ dbt.cast('targets_checked', api.Column.translate_type('bigint')) }} as targets_checked,
        {{ dbt.cast('inspections', api.Column.translate_type('bigint')) }} as inspections,
        {{ dbt.cast('hazards_found', api.Column.translate_type('bigint')) }} as hazards_found,
        {{ dbt.cast('hazards_accepted', api.Column.translate_type('bigint')) }} as hazards_accepted,
        {{ dbt.cast('banned', api.Column.translate_type('bigint')) }} as banned,
        {{ dbt.cast('hazards_overdue', api.Column.translate_type('bigint')) }} as hazards_overdue
    from unioned

)

select * from final
