{#- The five-colour map (contract §8) as the site draws it: one row per micro-grid of
    mart_grid_colors (same figures, same colour), its township's name, a "few events" mark,
    and the grid's polygon as compact coordinate text. Geometry: every ring of the WKT
    projected onto a local plane per township (origin = the township's west and north
    edges; x east, y south, as SVG draws), quantised to units of {{ unit_m }} m; consecutive
    points that fall on the same unit are dropped (the simplification). Written as an SVG
    path: "M x y x y … Z" per ring, rings concatenated (holes by the even-odd rule). NULL
    when the grid has no polygon. -#}
{%- set unit_m = 10 -%}
{%- set few_events_below = 3 -%}
with

colors as (

    select * from {{ ref('mart_grid_colors') }}

),

townships as (

    select * from {{ ref('dim_townships') }}

),

polygons as (

    select
        polygons.grid_code,
        colors.township_code,
        regexp_extract_all(polygons.wkt, '\(([^()]+)\)', 1) as ring_texts
    from {{ ref('stg_reference__grid_polygons') }} as polygons
    inner join colors
        on polygons.grid_code = colors.grid_code

),

rings as (

    select
        grid_code,
        township_code,
        unnest(ring_texts) as ring_text,
        unnest(generate_series(1, len(ring_texts))) as ring_index
    from polygons

),

ring_points as (

    select
        grid_code,
        township_code,
        ring_index,
        string_split(ring_text, ',') as point_texts
    from rings

),

points_text as (

    select
        grid_code,
        township_code,
        ring_index,
        unnest(point_texts) as point_text,
        unnest(generate_series(1, len(point_texts))) as point_index
    from ring_points

),

points as (

    select
        grid_code,
        township_code,
        ring_index,
        point_index,
        {{ dbt.cast("regexp_split_to_array(trim(point_text), '\\s+')[1]", type_double()) }} as lon,
        {{ dbt.cast("regexp_split_to_array(trim(point_text), '\\s+')[2]", type_double()) }} as lat
    from points_text

),

origins as (

    select
        township_code,
        min(lon) as west,
        max(lat) as north,
        111320.0 * cos(radians((min(lat) + max(lat)) / 2)) as metres_per_lon,
        110574.0 as metres_per_lat
    from points
    where lon is not null and lat is not null
    group by township_code

),

projected as (

    select
        points.grid_code,
        points.ring_index,
        points.point_index,
        {{ dbt.cast('round((points.lon - origins.west) * origins.metres_per_lon / ' ~ unit_m ~ ')',
                    api.Column.translate_type('bigint')) }} as x,
        {{ dbt.cast('round((origins.north - points.lat) * origins.metres_per_lat / ' ~ unit_m ~ ')',
                    api.Column.translate_type('bigint')) }} as y
    from points
    inner join origins
        on points.township_code = origins.township_code
    where points.lon is not null and points.lat is not null

),

neighbours as (

    select
        grid_code,
        ring_index,
        point_index,
        x,
        y,
        lag(x) over ring_order as previous_x,
        lag(y) over ring_order as previous_y,
        first_value(x) over ring_order as first_x,
        first_value(y) over ring_order as first_y,
        point_index = max(point_index) over (partition by grid_code, ring_index) as is_last
    from projected
    window ring_order as (partition by grid_code, ring_index order by point_index)

),

kept as (

    select *
    from neighbours
    where
        (previous_x is null or x <> previous_x or y <> previous_y)
        and not (is_last and x = first_x and y = first_y)

),

ring_paths as (

    select
        grid_code,
        ring_index,
        'M' || string_agg(x || ' ' || y, ' ' order by point_index) || 'Z' as ring_path
    from kept
    group by grid_code, ring_index
    having count(*) >= 3

),

geometries as (

    select
        grid_code,
        string_agg(ring_path, '' order by ring_index) as map_path
    from ring_paths
    group by grid_code

),

final as (

    select
        colors.grid_code,
        colors.grid_name,
        colors.township_code,
        {{ dbt.cast('coalesce(townships.township_name, colors.township_code)',
                    api.Column.translate_type('string')) }} as township_name,
        colors.window_start,
        colors.window_end,
        colors.population,
        colors.penalties,
        colors.petitions_disputes,
        colors.valid_alarms,
        colors.penalty_rate,
        colors.petition_rate,
        colors.alarm_rate,
        colors.penalty_pct,
        colors.petition_pct,
        colors.alarm_pct,
        colors.score,
        colors.color,
        colors.grey_reason,
        colors.last_week_color,
        colors.share_higher,
        colors.ranked_grids_in_township,
        {{ dbt.cast('coalesce(colors.penalties, 0) + coalesce(colors.petitions_disputes, 0) '
                    ~ '+ coalesce(colors.valid_alarms, 0)', api.Column.translate_type('bigint')) }} as events_total,
        coalesce(colors.penalties, 0) + coalesce(colors.petitions_disputes, 0)
        + coalesce(colors.valid_alarms, 0) < {{ few_events_below }} as is_few_events,
        {{ dbt.cast('geometries.map_path', api.Column.translate_type('string')) }} as map_path,
        {{ dbt.cast(unit_m, api.Column.translate_type('integer')) }} as map_unit_m
    from colors
    left join townships
        on colors.township_code = townships.township_code
    left join geometries
        on colors.grid_code = geometries.grid_code

)

select * from final
