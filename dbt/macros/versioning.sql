{#- Contract §2 versions, written once for the five sources: every lake row of the source,
    its counting date, the future_date flag (after as_of + 1 day: quarantined, takes no part
    in versioning) and its rank among the versions of its key (1 = the current version). -#}
{% macro versioned_records(source_name, key, counting_date, has_updated_at=true) %}
with

source as (

    select * from {{ source(source_name, 'records') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

flagged as (

    select
        source.*,
        {{ dbt.cast('source.' ~ counting_date, api.Column.translate_type('date')) }} as counting_date,
        coalesce(
            {{ dbt.cast('source.' ~ counting_date, api.Column.translate_type('date')) }}
                > {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }},
            false
        ) as is_future_dated
    from source
    cross join as_of

),

ranked as (

    select
        flagged.*,
        case
            when not is_future_dated then row_number() over (
                partition by {{ key }}, is_future_dated
                order by {{ version_order(has_updated_at=has_updated_at) }}
            )
        end as version_rank
    from flagged

),

final as (

    select
        ranked.*,
        coalesce(version_rank = 1, false) as is_current_version
    from ranked

)

select * from final
{% endmacro %}
