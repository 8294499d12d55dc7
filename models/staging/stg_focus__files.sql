with

manifest as (
    select * from {{ source('raw', 'manifest') }}
),

renamed as (
    select
        data_source as data_source_id,
        key,
        etag,
        billing_month,
        try_cast({{ dbt.concat(['billing_month', "'-01'"]) }} as {{ dbt.type_timestamp() }}) as billing_month_start,
        status,
        row_count,
        size as size_bytes,
        last_modified,
        run_id,
        first_seen,
        last_seen,
        error,
        error_line,
        header
    from manifest
),

final as (
    select * from renamed
)

select * from final
