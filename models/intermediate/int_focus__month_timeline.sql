{# The month history's clock: every committed event of a file, with what it did to its month's
    accepted rows. A key's event *applies* a version when it loaded one that was accepted: the key's
    latest event by today's verdict (int_focus__accepted_files, so that the current month version is
    what the marts show), an earlier one by the record of accepted versions (int_focus__version_totals,
    which outlives verdicts and rows). Each event is compared with the key's own previous event: a
    change of the applied version is a change_kind (added, rewritten, accepted after a rejection,
    rejected, removed). Every completed load with a change of a month makes that month's next version:
    a running sum over the month's loads numbers them (0: no accepted file yet). #}
with

file_events as (
    select * from {{ ref('stg_focus__file_events') }}
),

completed_loads as (
    select * from {{ ref('stg_focus__completed_loads') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

version_totals as (
    select * from {{ ref('int_focus__version_totals') }}
),

versions_recorded as (
    select distinct
        data_source_id,
        key,
        etag
    from version_totals
),

committed_events as (
    select
        file_events.data_source_id,
        file_events.key,
        file_events.etag,
        file_events.billing_month,
        file_events.event,
        file_events.run_id,
        file_events.event_at,
        file_events.load_id,
        file_events.load_order,
        row_number() over (
            partition by file_events.data_source_id, file_events.key order by file_events.load_order desc
        ) as key_recency
    from file_events
    inner join completed_loads
        on file_events.load_id = completed_loads.load_id
),

applied_versions_found as (
    select
        committed_events.*,
        case
            when committed_events.event = 'loaded'
                and versions_recorded.etag is not null
                and (committed_events.key_recency > 1 or accepted_files.etag is not null)
                then committed_events.etag
        end as applied_etag
    from committed_events
    left join versions_recorded
        on committed_events.data_source_id = versions_recorded.data_source_id
        and committed_events.key = versions_recorded.key
        and committed_events.etag = versions_recorded.etag
    left join accepted_files
        on committed_events.data_source_id = accepted_files.data_source_id
        and committed_events.key = accepted_files.key
        and committed_events.etag = accepted_files.etag
),

previous_events_joined as (
    select
        applied_versions_found.*,
        lag(event) over (partition by data_source_id, key order by load_order) as previous_event,
        lag(applied_etag) over (partition by data_source_id, key order by load_order) as previous_applied_etag,
        lead(load_order) over (partition by data_source_id, key order by load_order) as next_load_order
    from applied_versions_found
),

changes_classified as (
    select
        previous_events_joined.*,
        case
            when applied_etag is not null and previous_applied_etag is null
                and (previous_event is null or previous_event = 'deleted') then 'added'
            when applied_etag is not null and previous_applied_etag is null then 'accepted'
            when applied_etag is not null and applied_etag <> previous_applied_etag then 'rewritten'
            when applied_etag is null and previous_applied_etag is not null and event = 'deleted' then 'removed'
            when applied_etag is null and previous_applied_etag is not null then 'rejected'
        end as change_kind
    from previous_events_joined
),

month_loads_flagged as (
    select
        data_source_id,
        billing_month,
        load_order,
        max(case when change_kind is not null then 1 else 0 end) as is_new_version
    from changes_classified
    group by data_source_id, billing_month, load_order
),

month_loads_numbered as (
    select
        data_source_id,
        billing_month,
        load_order,
        cast(sum(is_new_version) over (
            partition by data_source_id, billing_month order by load_order rows between unbounded preceding and current row
        ) as {{ dbt.type_bigint() }}) as version_number
    from month_loads_flagged
),

final as (
    select
        changes_classified.data_source_id,
        changes_classified.billing_month,
        changes_classified.key,
        changes_classified.etag,
        changes_classified.event,
        changes_classified.applied_etag,
        changes_classified.previous_applied_etag,
        changes_classified.change_kind,
        month_loads_numbered.version_number,
        changes_classified.run_id,
        changes_classified.event_at,
        changes_classified.load_id,
        changes_classified.load_order,
        changes_classified.next_load_order
    from changes_classified
    inner join month_loads_numbered
        on changes_classified.data_source_id = month_loads_numbered.data_source_id
        and changes_classified.billing_month = month_loads_numbered.billing_month
        and changes_classified.load_order = month_loads_numbered.load_order
)

select * from final
