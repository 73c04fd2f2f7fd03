{#-
  Incidents (§7): alarms sharing 合并编号 are one incident; an alarm without one is its own.
  The incident is counted on its first 报警时间. It is valid when any alarm is valid; its
  警情细类 is that of its first valid alarm — so a repeat call can make an incident whose
  first call was invalid a valid one. It is located (township and grid alike, contract §7
  v1.1) where its first valid alarm is; an incident without a valid alarm where its first
  alarm is. valid_seq orders the valid alarms first, so valid_seq = 1 is that alarm.
-#}
{#- A table: several models and tests read it, and a view would be computed again for each. -#}
{{ config(materialized='table') }}
with

alarms as (

    select * from {{ ref('stg_police_alarms__alarms') }}

),

keyed as (

    select
        alarms.*,
        case
            when merge_id is null or merge_id = '' then {{ dbt.concat(["'a:'", "alarm_id"]) }}
            else {{ dbt.concat(["'m:'", "merge_id"]) }}
        end as incident_id,
        coalesce(is_valid, false) as is_valid_alarm
    from alarms

),

sequenced as (

    select
        keyed.*,
        row_number() over (
            partition by incident_id order by reported_at, alarm_id
        ) as alarm_seq,
        row_number() over (
            partition by incident_id
            order by case when is_valid_alarm then 0 else 1 end, reported_at, alarm_id
        ) as valid_seq
    from keyed

),

incidents as (

    select
        incident_id,
        count(*) as alarm_count,
        min(reported_at) as first_reported_at,
        max(case when alarm_seq = 1 then alarm_id end) as first_alarm_id,
        max(case when valid_seq = 1 then township_code end) as township_code,
        max(case when valid_seq = 1 then grid_code end) as grid_code,
        max(case when is_valid_alarm then 1 else 0 end) = 1 as is_valid,
        max(case when valid_seq = 1 and is_valid_alarm then alarm_id end) as first_valid_alarm_id,
        max(case when valid_seq = 1 and is_valid_alarm then alarm_subcategory end) as alarm_subcategory,
        max(case when valid_seq = 1 and is_valid_alarm then alarm_category end) as alarm_category
    from sequenced
    group by incident_id

),

final as (

    select
        incident_id,
        township_code,
        first_reported_at,
        {{ dbt.cast('first_reported_at', api.Column.translate_type('date')) }} as first_reported_on,
        alarm_count,
        first_alarm_id,
        is_valid,
        first_valid_alarm_id,
        alarm_subcategory,
        alarm_category,
        grid_code
    from incidents

)

select * from final
