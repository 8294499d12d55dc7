{# The current status of every file version, from the events of completed loads (the same rule as the
    loader's loader/focus_ingest/known_versions.py). Per key, its latest counted event decides: loaded or
    rejected make that version the key's current one; deleted leaves the key without one (and the
    version it named is `deleted`). Every other version of the key is `replaced`. A version's facts and
    `load_id` are those of its own latest event: for a `loaded` version, the load that holds its rows. #}
with

file_events as (
    select * from {{ ref('stg_focus__file_events') }}
),

completed_loads as (
    select * from {{ ref('stg_focus__completed_loads') }}
),

committed_events as (
    select file_events.*
    from file_events
    inner join completed_loads
        on file_events.load_id = completed_loads.load_id
),

events_ranked as (
    select
        committed_events.*,
        row_number() over (
            partition by data_source_id, key order by load_order desc
        ) as key_recency,
        row_number() over (
            partition by data_source_id, key, etag order by load_order desc
        ) as version_recency
    from committed_events
),

statuses_derived as (
    select
        data_source_id,
        key,
        etag,
        billing_month,
        billing_month_start,
        case
            when key_recency = 1 and event in ('loaded', 'rejected') then event
            when key_recency = 1 then 'deleted'
            else 'replaced'
        end as status,
        row_count,
        size_bytes,
        last_modified,
        error,
        error_line,
        header,
        read_limits,
        run_id,
        event_at,
        load_id
    from events_ranked
    where version_recency = 1
),

final as (
    select * from statuses_derived
)

select * from final
