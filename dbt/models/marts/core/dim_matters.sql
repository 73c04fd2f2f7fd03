with

matters as (

    select * from {{ ref('stg_reference__matters') }}

),

final as (

    select
        township_code,
        matter_code,
        matter_name,
        enforcement_domain,
        empowered_on,
        first_violation_exempt,
        mitigation_allowed
    from matters

)

select * from final
