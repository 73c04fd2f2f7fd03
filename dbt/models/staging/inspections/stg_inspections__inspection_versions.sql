with

source as (

    select * from {{ source('inspections', 'records') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

flagged as (

    select
        source.*,
        {{ dbt.cast('source.inspected_on', api.Column.translate_type('date')) }} as counting_date,
        coalesce(
            {{ dbt.cast('source.inspected_on', api.Column.translate_type('date')) }}
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
                partition by inspection_id, is_future_dated
                order by {{ version_order(has_updated_at=true) }}
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
