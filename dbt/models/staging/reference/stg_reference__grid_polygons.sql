with

source as (

    select * from {{ source('reference_geo', 'grid_polygons') }}

),

final as (

    select
        {{ dbt.cast('grid_code', api.Column.translate_type('string')) }} as grid_code,
        {{ dbt.cast('wkt', api.Column.translate_type('string')) }} as wkt
    from source
    where
        grid_code is not null
        and wkt is not null
        and trim(wkt) <> ''

)

select * from final
