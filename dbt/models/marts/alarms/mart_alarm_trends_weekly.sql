{#- Valid alarms (§7 incidents) per township, 警情细类 (plus 'all') and ISO week for the
    104 weeks up to the as-of week, aligned with the same ISO week a year earlier;
    percent change only when last year's count is at least 20 (else is_small_base).
    has_prior_data: the township's alarm feed reaches back to that week a year earlier
    (contract §7 v1.1: judged per source, records from no later than 7 days after the
    week's start); without it last year's 0 means "no data", not "no alarms". -#}
with

incidents as (

    select * from {{ ref('int_police_alarms__incidents') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

feed_starts as (

    select
        township_code,
        first_date
    from {{ ref('int_lake__township_source_dates') }}
    where source = 'police_alarms'

),

week_offsets as (

    {{ dbt.generate_series(105) }}

),

valid_incidents as (

    select
        township_code,
        coalesce(alarm_subcategory, '未知') as alarm_subcategory,
        {{ iso_year('first_reported_on') }} as iso_year,
        {{ iso_week('first_reported_on') }} as iso_week,
        incident_id
    from incidents
    where is_valid

),

weekly_counts as (

    select
        township_code,
        alarm_subcategory,
        iso_year,
        iso_week,
        count(*) as valid_alarms
    from valid_incidents
    group by township_code, alarm_subcategory, iso_year, iso_week
    union all
    select
        township_code,
        'all',
        iso_year,
        iso_week,
        count(*)
    from valid_incidents
    group by township_code, iso_year, iso_week

),

weeks as (

    select
        {{ dbt.cast(dbt.dateadd('day', '-7 * (week_offsets.generated_number - 1)',
                                dbt.date_trunc('week', 'as_of.as_of_date')),
                    api.Column.translate_type('date')) }} as week_start
    from week_offsets
    cross join as_of

),

subcategories as (

    select distinct
        township_code,
        alarm_subcategory
    from weekly_counts

),

spine as (

    select
        subcategories.township_code,
        subcategories.alarm_subcategory,
        {{ iso_year('weeks.week_start') }} as iso_year,
        {{ iso_week('weeks.week_start') }} as iso_week,
        weeks.week_start
    from subcategories
    cross join weeks

),

aligned as (

    select
        spine.township_code,
        spine.alarm_subcategory,
        spine.iso_year,
        spine.iso_week,
        spine.week_start,
        coalesce(this_year.valid_alarms, 0) as valid_alarms,
        coalesce(last_year.valid_alarms, 0) as valid_alarms_last_year,
        feed_starts.first_date is not null
        -- the Monday of the same ISO week a year earlier: as many weeks back as that ISO year
        -- has (52 or 53; 28 December is always in its last week)
        and feed_starts.first_date <= {{ dbt.dateadd(
            'day', 7, dbt.dateadd('week', '-' ~ iso_week('make_date(spine.iso_year - 1, 12, 28)'), 'spine.week_start')
        ) }}
            as has_prior_data
    from spine
    left join feed_starts
        on spine.township_code = feed_starts.township_code
    left join weekly_counts as this_year
        on
            spine.township_code = this_year.township_code
            and spine.alarm_subcategory = this_year.alarm_subcategory
            and spine.iso_year = this_year.iso_year
            and spine.iso_week = this_year.iso_week
    left join weekly_counts as last_year
        on
            spine.township_code = last_year.township_code
            and spine.alarm_subcategory = last_year.alarm_subcategory
            and spine.iso_year - 1 = last_year.iso_year
            and spine.iso_week = last_year.iso_week

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('alarm_subcategory', api.Column.translate_type('string')) }} as alarm_subcategory,
        {{ dbt.cast('iso_year', api.Column.translate_type('integer')) }} as iso_year,
        {{ dbt.cast('iso_week', api.Column.translate_type('integer')) }} as iso_week,
        week_start,
        {{ dbt.cast('valid_alarms', api.Column.translate_type('bigint')) }} as valid_alarms,
        {{ dbt.cast('valid_alarms_last_year', api.Column.translate_type('bigint')) }} as valid_alarms_last_year,
        {{ dbt.cast('valid_alarms - valid_alarms_last_year', api.Column.translate_type('bigint')) }} as abs_change,
        case
            when valid_alarms_last_year >= 20
                then {{ dbt.cast('100.0 * (valid_alarms - valid_alarms_last_year) / valid_alarms_last_year', type_double()) }}
        end as pct_change,
        valid_alarms_last_year < 20 as is_small_base,
        has_prior_data
    from aligned

)

select * from final
