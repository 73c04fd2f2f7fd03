with

source as (

    select * from {{ source('reference', 'matters') }}

),

final as (

    select
        {{ dbt.cast('matter_code', api.Column.translate_type('string')) }} as matter_code,
        {{ dbt.cast('matter_name', api.Column.translate_type('string')) }} as matter_name,
        {{ dbt.cast('enforcement_domain', api.Column.translate_type('string')) }} as enforcement_domain,
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('empowered_on', api.Column.translate_type('date')) }} as empowered_on,
        {{ dbt.cast('first_violation_exempt', api.Column.translate_type('boolean')) }} as first_violation_exempt,
        {{ dbt.cast('mitigation_allowed', api.Column.translate_type('boolean')) }} as mitigation_allowed
    from source

)

select * from final
