with

townships as (

    select * from {{ ref('stg_reference__townships') }}

),

final as (

    select
        township_code,
        township_name,
        aliases,
        district,
        area_km2,
        registered_population,
        floating_population,
        resident_population,
        reform_start_date
    from townships

)

select * from final
