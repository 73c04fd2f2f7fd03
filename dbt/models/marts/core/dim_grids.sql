with

grids as (

    select * from {{ ref('stg_reference__grids') }}

),

final as (

    select
        grid_code,
        grid_name,
        grid_type,
        parent_grid_code,
        township_code,
        village,
        actual_population,
        grid_type = '微网格' as is_micro_grid,
        coalesce(actual_population >= {{ var('grid_min_population', 50) }}, false) as is_ranked_for_colors
    from grids

)

select * from final
