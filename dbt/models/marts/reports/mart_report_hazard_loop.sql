{#- Issue 10 (检查 page): the hazard loop per township and year of 检查日期 (plus 'all'),
    as of the as-of date — the hazards (发现隐患数) found, and where they stand now:
      accepted     整改状态 已整改 with 验收日期 on or before as_of
      overdue      逾期未整改, or 整改中 whose 整改期限 is before as_of
      rectifying   整改中 within its 整改期限 (or without one), or 已整改 not yet accepted by as_of
      other        any other status (e.g. empty) — so found = accepted + rectifying + overdue + other
    Counted by the year the hazard was found (a cohort), not by 验收日期 as hazards_accepted
    of fct_township_daily is. -#}
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
        inspections.inspection_id,
        inspections.hazards_found,
        {{ dbt.cast('extract(year from inspections.inspected_on)', api.Column.translate_type('string')) }}
            as found_year,
        case
            when inspections.rectification_status = '已整改' and inspections.accepted_on <= as_of.as_of_date
                then 'accepted'
            when
                inspections.rectification_status = '逾期未整改'
                or (inspections.rectification_status = '整改中' and inspections.rectification_due_on < as_of.as_of_date)
                then 'overdue'
            when inspections.rectification_status in ('整改中', '已整改')
                then 'rectifying'
            else 'other'
        end as stage,
        case
            when inspections.rectification_status = '已整改' and inspections.accepted_on <= as_of.as_of_date
                then {{ dbt.datediff('inspections.inspected_on', 'inspections.accepted_on', 'day') }}
        end as days_to_accept
    from inspections
    cross join as_of
    where
        inspections.inspected_on <= as_of.as_of_date
        and coalesce(inspections.hazards_found, 0) > 0

),

periods as (

    select
        classified.*,
        found_year as period
    from classified
    union all
    select
        classified.*,
        'all' as period
    from classified

),

aggregated as (

    select
        township_code,
        period,
        count(distinct inspection_id) as inspections_with_hazards,
        sum(hazards_found) as hazards_found,
        sum(case when stage = 'accepted' then hazards_found else 0 end) as hazards_accepted,
        sum(case when stage = 'rectifying' then hazards_found else 0 end) as hazards_rectifying,
        sum(case when stage = 'overdue' then hazards_found else 0 end) as hazards_overdue,
        sum(case when stage = 'other' then hazards_found else 0 end) as hazards_other,
        count(distinct case when stage = 'overdue' then inspection_id end) as inspections_overdue,
        {{ percentile_cont('days_to_accept', 0.5) }} as median_days_to_accept
    from periods
    group by township_code, period

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('period', api.Column.translate_type('string')) }} as period,
        {{ dbt.cast('inspections_with_hazards', api.Column.translate_type('bigint')) }} as inspections_with_hazards,
        {{ dbt.cast('hazards_found', api.Column.translate_type('bigint')) }} as hazards_found,
        {{ dbt.cast('hazards_accepted', api.Column.translate_type('bigint')) }} as hazards_accepted,
        {{ dbt.cast('hazards_rectifying', api.Column.translate_type('bigint')) }} as hazards_rectifying,
        {{ dbt.cast('hazards_overdue', api.Column.translate_type('bigint')) }} as hazards_overdue,
        {{ dbt.cast('hazards_other', api.Column.translate_type('bigint')) }} as hazards_other,
        {{ dbt.cast('inspections_overdue', api.Column.translate_type('bigint')) }} as inspections_overdue,
        {{ dbt.cast('hazards_accepted * 1.0 / nullif(hazards_found, 0)', type_double()) }} as accepted_share,
        {{ dbt.cast('median_days_to_accept', type_double()) }} as median_days_to_accept
    from aggregated
    where township_code is not null

)

select * from final
