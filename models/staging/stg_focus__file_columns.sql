{# The header columns of each loaded file version, from its latest completed load only: a version read
    again (same ETag, e.g. under other per-file limits) is recorded again, with the same header. #}
with

file_columns as (
    select * from {{ source('raw', 'file_columns') }}
),

completed_loads as (
    select * from {{ ref('stg_focus__completed_loads') }}
),

renamed as (
    select
        file_columns.data_source as data_source_id,
        file_columns.key,
        file_columns.etag,
        file_columns.position,
        file_columns.column_name,
        file_columns.column_key,
        file_columns._dlt_load_id as load_id,
        max(cast(file_columns._dlt_load_id as decimal(24, 10))) over (
            partition by file_columns.data_source, file_columns.key, file_columns.etag
        ) as latest_load_order,
        cast(file_columns._dlt_load_id as decimal(24, 10)) as load_order
    from file_columns
    inner join completed_loads
        on file_columns._dlt_load_id = completed_loads.load_id
),

final as (
    select
        data_source_id,
        key,
        etag,
        position,
        column_name,
        column_key,
        load_id
    from renamed
    where load_order = latest_load_order
)

select * from final
