{#- A table, not a view: the current records are read by several models and tests, and a
    view would re-run the versioning window over every version for each of them. -#}
{{ config(materialized='table') }}

with

versions as (

    select * from {{ ref('stg_cases__case_versions') }}

),

final as (

    select * from versions
    where is_current_version

)

select * from final
