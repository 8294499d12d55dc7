{# The loader's runs (raw.runs), renamed: one row per run and data source that wrote a load. A run
    counts once its load completed (stg_focus__completed_loads); missing_feeds reads the as-of date of
    the latest one. #}
with

runs as (
    select * from {{ source('raw', 'runs') }}
),

renamed as (
    select
        run_id,
        data_source as data_source_id,
        started_at,
        finished_at,
        as_of,
        _dlt_load_id as load_id,
        {#- Load ids are times with a fraction; their text does not sort when the digit counts differ. #}
        cast(_dlt_load_id as decimal(24, 10)) as load_order
    from runs
),

final as (
    select * from renamed
)

select * from final
