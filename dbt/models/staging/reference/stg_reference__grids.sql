with

source as (

    select * from {{ source('reference', 'grids') }}

),

final as (

    select
        {{ dbt.cast('grid_code', api.Column.translate_type('string')) }} as grid_code,
        {{ dbt.cast('grid_name', api.Column.translate_type('string')) }} as grid_name,
        {{ dbt.cast('grid_type', api.Column.translate_type('string')) }} as grid_type,
        {{ dbt.cast('parent_grid_code', api.Column.translate_type('string')) }} as parent_grid_code,
        {{ dbt.cast('township_code', api.Column.translate_type('string')) }} as township_code,
        {{ dbt.cast('village', api.Column.translate_type('string')) }} as village,
        {{ dbt.cast('actual_population', api.Column.translate_type('bigint')) }} as actual_population
    from source

)

select * from final
