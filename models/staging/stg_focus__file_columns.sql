{# One row per file version x header column per load that recorded the version, renamed. #}
with

file_columns as (
    select * from {{ source('raw', 'file_columns') }}
),

renamed as (
    select
        data_source as data_source_id,
        key,
        etag,
        position,
        column_name,
        column_key,
        _dlt_load_id as load_id
    from file_columns
),

final as (
    select * from renamed
)

select * from final
