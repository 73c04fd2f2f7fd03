{#- Issue 10 (警情 page): the complete Monday–Sunday weeks of the as-of ISO year, per
    township and 警情细类 (plus 'all'), from mart_alarm_trends_weekly, with the same ISO week
    a year earlier only when the township's alarm feed reaches back to it (has_prior_data of
    mart_alarm_trends_weekly; else NULL, 无同期数据).
    A week's rows are present only once the week has ended on or before as_of. -#}
with

trends as (

    select * from {{ ref('mart_alarm_trends_weekly') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

weeks as (

    select
        trends.township_code,
        trends.alarm_subcategory,
        trends.iso_year,
        trends.iso_week,
        trends.week_start,
        trends.valid_alarms,
        trends.valid_alarms_last_year,
        trends.has_prior_data
    from trends
    cross join as_of
    where
        trends.iso_year = {{ iso_year('as_of.as_of_date') }}
        and {{ dbt.dateadd('day', 6, 'trends.week_start') }} <= as_of.as_of_date

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('alarm_subcategory', api.Column.translate_type('string')) }} as alarm_subcategory,
        {{ dbt.cast('iso_year', api.Column.translate_type('integer')) }} as iso_year,
        {{ dbt.cast('iso_week', api.Column.translate_type('integer')) }} as iso_week,
        {{ dbt.cast('week_start', api.Column.translate_type('date')) }} as week_start,
        {{ dbt.cast('valid_alarms', api.Column.translate_type('bigint')) }} as valid_alarms,
        case
            when has_prior_data then {{ dbt.cast('valid_alarms_last_year', api.Column.translate_type('bigint')) }}
        end as valid_alarms_last_year,
        has_prior_data
    from weeks

)

select * from final
