{# One row per data source per load that recorded it, renamed. #}
with

recorded_data_sources as (
    select * from {{ source('raw', 'data_sources') }}
),

renamed as (
    select
        data_source as data_source_id,
        location,
        profile,
        run_id,
        recorded_at,
        _dlt_load_id as load_id
    from recorded_data_sources
),

final as (
    select * from renamed
)

select * from final
