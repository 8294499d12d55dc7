{# The header columns of each file version, from its latest completed load only: a version read again
    (same ETag, e.g. under other per-file limits) is recorded again, with the same header. #}
with

file_columns as (
    select * from {{ ref('stg_focus__file_columns') }}
),

completed_loads as (
    select * from {{ ref('stg_focus__completed_loads') }}
),

load_orders_compared as (
    select
        file_columns.*,
        cast(file_columns.load_id as decimal(24, 10)) as load_order,
        max(cast(file_columns.load_id as decimal(24, 10))) over (
            partition by file_columns.data_source_id, file_columns.key, file_columns.etag
        ) as latest_load_order
    from file_columns
    inner join completed_loads
        on file_columns.load_id = completed_loads.load_id
),

latest_kept as (
    select
        data_source_id,
        key,
        etag,
        position,
        column_name,
        column_key,
        load_id
    from load_orders_compared
    where load_order = latest_load_order
),

final as (
    select * from latest_kept
)

select * from final
