{# dlt's commit: a load package counts once its row is in raw._dlt_loads with status 0, which dlt writes
    after every table of the package. #}
with

loads as (
    select * from {{ source('raw', '_dlt_loads') }}
),

completed as (
    select
        load_id,
        schema_name,
        inserted_at as completed_at
    from loads
    where status = 0
),

final as (
    select * from completed
)

select * from final
