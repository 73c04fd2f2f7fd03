{#- Case lifecycle per township and year of 立案 (plus 'all'): cases counted as §7
    cases_filed (撤销立案 excluded). Days 立案→结案 (median, p90, share over 90 days, of
    closed cases); shares of all cases with 法制审核, 协办人, 案审会; transfers to police;
    复议 / 诉讼 counts; repeat parties — cases whose party (pseudonym: 证件号码, else name)
    had another case filed in the 365 days before. -#}
with

cases as (

    -- published figures stop at as_of (contract §2 v1.1): a closure after it is not yet one
    select
        * replace (
            case when closed_on <= {{ as_of() }} then closed_on end as closed_on,
            case when police_transfer_on <= {{ as_of() }} then police_transfer_on end as police_transfer_on
        )
    from {{ ref('int_cases__counted') }}
    where filed_on <= {{ as_of() }}

),

keyed as (

    select
        cases.*,
        coalesce(nullif(party_id_pseudonym, ''), nullif(party_pseudonym, '')) as party_key,
        case
            when closed_on is not null
                then {{ dbt.datediff('filed_on', 'closed_on', 'day') }}
        end as days_to_close
    from cases
    where filed_on is not null

),

repeat_flags as (

    select
        keyed.case_id,
        max(case when earlier.case_id is not null then 1 else 0 end) = 1 as is_repeat_party
    from keyed
    left join keyed as earlier
        on
            keyed.party_key = earlier.party_key
            and keyed.case_id <> earlier.case_id
            and keyed.filed_on >= earlier.filed_on
            and earlier.filed_on >= {{ dbt.dateadd('day', -365, 'keyed.filed_on') }}
    group by keyed.case_id

),

prepared as (

    select
        keyed.*,
        {{ dbt.cast('extract(year from keyed.filed_on)', api.Column.translate_type('string')) }} as filed_year,
        repeat_flags.is_repeat_party
    from keyed
    inner join repeat_flags
        on keyed.case_id = repeat_flags.case_id

),

periods as (

    select
        prepared.*,
        filed_year as period
    from prepared
    union all
    select
        prepared.*,
        'all' as period
    from prepared

),

aggregated as (

    select
        township_code,
        period,
        count(*) as cases_filed,
        count(closed_on) as cases_closed,
        {{ percentile_cont('days_to_close', 0.5) }} as median_days_to_close,
        {{ percentile_cont('days_to_close', 0.9) }} as p90_days_to_close,
        sum(case when days_to_close > 90 then 1 else 0 end) * 1.0 / nullif(count(closed_on), 0) as share_closed_over_90_days,
        sum(case when has_legal_review then 1 else 0 end) * 1.0 / count(*) as legal_review_share,
        sum(case when has_co_handler then 1 else 0 end) * 1.0 / count(*) as co_handler_share,
        sum(case when has_review_board then 1 else 0 end) * 1.0 / count(*) as review_board_share,
        sum(case when outcome = '移送公安' then 1 else 0 end) as police_transfers,
        sum(case when reconsideration_litigation = '复议' then 1 else 0 end) as reconsiderations,
        sum(case when reconsideration_litigation = '诉讼' then 1 else 0 end) as litigations,
        sum(case when is_repeat_party then 1 else 0 end) as repeat_party_cases,
        count(distinct case when is_repeat_party then party_key end) as repeat_parties
    from periods
    group by township_code, period

),

final as (

    select
        township_code,
        period,
        {{ dbt.cast('cases_filed', api.Column.translate_type('bigint')) }} as cases_filed,
        {{ dbt.cast('cases_closed', api.Column.translate_type('bigint')) }} as cases_closed,
        {{ dbt.cast('median_days_to_close', type_double()) }} as median_days_to_close,
        {{ dbt.cast('p90_days_to_close', type_double()) }} as p90_days_to_close,
        {{ dbt.cast('share_closed_over_90_days', type_double()) }} as share_closed_over_90_days,
        {{ dbt.cast('legal_review_share', type_double()) }} as legal_review_share,
        {{ dbt.cast('co_handler_share', type_double()) }} as co_handler_share,
        {{ dbt.cast('review_board_share', type_double()) }} as review_board_share,
        {{ dbt.cast('police_transfers', api.Column.translate_type('bigint')) }} as police_transfers,
        {{ dbt.cast('reconsiderations', api.Column.translate_type('bigint')) }} as reconsiderations,
        {{ dbt.cast('litigations', api.Column.translate_type('bigint')) }} as litigations,
        {{ dbt.cast('repeat_party_cases', api.Column.translate_type('bigint')) }} as repeat_party_cases,
        {{ dbt.cast('repeat_parties', api.Column.translate_type('bigint')) }} as repeat_parties
    from aggregated

)

select * from final
