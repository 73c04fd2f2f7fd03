with

source as (

    select * from {{ source('reference', 'townships') }}

),

final as (

    select
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('township_name', api.Column.translate_type('string')) }} as township_name,
        {{ dbt.cast('aliases', api.Column.translate_type('string')) }} as aliases,
        {{ dbt.cast('district', api.Column.translate_type('string')) }} as district,
        {{ dbt.cast('area_km2', type_double()) }} as area_km2,
        {{ dbt.cast('registered_population', api.Column.translate_type('bigint')) }} as registered_population,
        {{ dbt.cast('floating_population', api.Column.translate_type('bigint')) }} as floating_population,
        {{ dbt.cast('resident_population', api.Column.translate_type('bigint')) }} as resident_population,
        {{ dbt.cast('reform_start_date', api.Column.translate_type('date')) }} as reform_start_date
    from source

)

select * from final
