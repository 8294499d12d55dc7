{# The loader's event log (raw.file_versions), renamed: one event per file version a load read (loaded,
    rejected) or found gone (deleted). An event counts only once its load completed
    (stg_focus__completed_loads); what is current follows from the events in int_focus__file_statuses. #}
with

file_events as (
    select * from {{ source('raw', 'file_versions') }}
),

renamed as (
    select
        data_source as data_source_id,
        key,
        etag,
        billing_month,
        {{ focus_try_cast(dbt.concat(['billing_month', "'-01'"]), dbt.type_timestamp()) }} as billing_month_start,
        event,
        row_count,
        size as size_bytes,
        last_modified,
        error,
        error_line,
        header,
        read_limits,
        run_id,
        event_at,
        _dlt_load_id as load_id,
        {#- Load ids are times with a fraction; their text does not sort when the digit counts differ. #}
        cast(_dlt_load_id as decimal(24, 10)) as load_order
    from file_events
),

final as (
    select * from renamed
)

select * from final
