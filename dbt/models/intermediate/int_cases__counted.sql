{#- Cases that count (§7 cases_filed): every current case except 处理结果 撤销立案. -#}
{#- A table: several models and tests read it, and a view would be computed again for each. -#}
{{ config(materialized='table') }}
with

cases as (

    select * from {{ ref('stg_cases__cases') }}

),

final as (

    select
        case_id,
        township_code,
        grid_code,
        case_source,
        related_event_id,
        matter_code,
        enforcement_domain,
        accepted_on,
        filed_on,
        closed_on,
        police_transfer_on,
        outcome,
        fine_yuan,
        coalesce(has_legal_review, false) as has_legal_review,
        coalesce(has_review_board, false) as has_review_board,
        co_handler_pseudonym is not null and co_handler_pseudonym <> '' as has_co_handler,
        reconsideration_litigation,
        party_type,
        party_pseudonym,
        party_id_pseudonym
    from cases
    where coalesce(outcome, '') <> '撤销立案'

)

select * from final
