{#- A view: the versions are a table (macros/versioning.sql), so the filter is a scan. -#}
with

versions as (

    select * from {{ ref('stg_notices__notice_versions') }}

),

final as (

    select * from versions
    where is_current_version

)

select * from final
