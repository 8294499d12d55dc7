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
        column_key
    from file_columns
),

final as (
    select * from renamed
)

select * from final
