{#- contract v1.1 source status, one row per source, for the banner on every page:
      missing     no file in the source's inbox folder: the folder is absent or empty (issue 9:
                  ingest then keeps the previous import, so newest_record_date still says how
                  far the kept data goes), or nothing was ever imported
      incomplete  at least one file could not be read
      stale       the newest published counting date is more than stale_after_days
                  (contract.yaml, var lake_sources) before the as-of date
      ok          otherwise
    A header-only file (manifest status `empty`) does not make a source incomplete (nothing
    was lost: the export had no rows); it is counted in files_empty, named in empty_files and
    in message_zh. `indicators` lists the §7 indicators counted from the source (var indicator_sources). -#}
with

files as (

    select * from {{ ref('stg_lake__files') }}

),

as_of as (

    select as_of_date from {{ ref('stg_lake__as_of') }}

),

source_list as (

    {% for src, meta in var('lake_sources').items() %}
    {%- set indicators = [] %}
    {%- for indicator, indicator_source in var('indicator_sources').items() if indicator_source == src %}
    {%- do indicators.append(indicator) %}
    {%- endfor %}
    select
        {{ dbt.string_literal(src) }} as source,
        {{ dbt.string_literal(meta['zh']) }} as source_zh,
        {{ meta['stale_after_days'] }} as stale_after_days,
        {{ dbt.string_literal(indicators | join(',')) }} as indicators
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

file_counts as (

    select
        source,
        count(*) as files,
        sum(case when status = 'unreadable' then 1 else 0 end) as files_unreadable,
        {{ dbt.listagg("case when status = 'unreadable' then source_file end", "','", "order by source_file") }}
            as unreadable_files,
        sum(case when status = 'empty' then 1 else 0 end) as files_empty,
        {{ dbt.listagg("case when status = 'empty' then source_file end", "','", "order by source_file") }}
            as empty_files,
        max(case when is_folder_missing then 1 else 0 end) = 1 as is_folder_missing
    from files
    group by source

),

newest_records as (

    -- the newest published counting date per source, from the per-township first/last dates
    select
        source,
        max(last_date) as newest_record_date
    from {{ ref('int_lake__township_source_dates') }}
    group by source

),

measured as (

    select
        source_list.source,
        source_list.source_zh,
        coalesce(file_counts.files, 0) as files,
        coalesce(file_counts.files_unreadable, 0) as files_unreadable,
        file_counts.unreadable_files,
        coalesce(file_counts.files_empty, 0) as files_empty,
        file_counts.empty_files,
        coalesce(file_counts.is_folder_missing, true) as is_folder_missing,
        newest_records.newest_record_date,
        as_of.as_of_date,
        {{ dbt.datediff('newest_records.newest_record_date', 'as_of.as_of_date', 'day') }} as lag_days,
        source_list.stale_after_days,
        source_list.indicators
    from source_list
    cross join as_of
    left join file_counts
        on source_list.source = file_counts.source
    left join newest_records
        on source_list.source = newest_records.source

),

classified as (

    select
        measured.*,
        case
            when files = 0 or is_folder_missing then 'missing'
            when files_unreadable > 0 then 'incomplete'
            when newest_record_date is null or lag_days > stale_after_days then 'stale'
            else 'ok'
        end as status
    from measured

),

final as (

    select
        {{ dbt.cast('source', api.Column.translate_type('string')) }} as source,
        {{ dbt.cast('source_zh', api.Column.translate_type('string')) }} as source_zh,
        {{ dbt.cast('status', api.Column.translate_type('string')) }} as status,
        {{ dbt.cast('files', api.Column.translate_type('bigint')) }} as files,
        {{ dbt.cast('files_unreadable', api.Column.translate_type('bigint')) }} as files_unreadable,
        {{ dbt.cast('unreadable_files', api.Column.translate_type('string')) }} as unreadable_files,
        {{ dbt.cast('files_empty', api.Column.translate_type('bigint')) }} as files_empty,
        {{ dbt.cast('empty_files', api.Column.translate_type('string')) }} as empty_files,
        {{ dbt.cast('is_folder_missing', api.Column.translate_type('boolean')) }} as is_folder_missing,
        {{ dbt.cast('newest_record_date', api.Column.translate_type('date')) }} as newest_record_date,
        {{ dbt.cast('as_of_date', api.Column.translate_type('date')) }} as as_of_date,
        {{ dbt.cast('lag_days', api.Column.translate_type('integer')) }} as lag_days,
        {{ dbt.cast('stale_after_days', api.Column.translate_type('integer')) }} as stale_after_days,
        {{ dbt.cast('indicators', api.Column.translate_type('string')) }} as indicators,
        {{ dbt.cast(source_status_message(), api.Column.translate_type('string')) }} as message_zh
    from classified

)

select * from final
