{# The files of every month version: per version, each key whose applied version (its event at or
    before the version's load, and before the key's next event) is an accepted one, with that etag.
    A version of a month whose every file was removed or rejected has no row here. #}
with

month_timeline as (
    select * from {{ ref('int_focus__month_timeline') }}
),

month_versions_made as (
    select
        data_source_id,
        billing_month,
        version_number,
        max(load_order) as load_order
    from month_timeline
    where change_kind is not null
    group by data_source_id, billing_month, version_number
),

applied_events as (
    select *
    from month_timeline
    where applied_etag is not null
),

files_of_versions as (
    select
        month_versions_made.data_source_id,
        month_versions_made.billing_month,
        month_versions_made.version_number,
        applied_events.key,
        applied_events.applied_etag as etag,
        applied_events.load_id as applied_load_id
    from month_versions_made
    inner join applied_events
        on month_versions_made.data_source_id = applied_events.data_source_id
        and month_versions_made.billing_month = applied_events.billing_month
        and applied_events.load_order <= month_versions_made.load_order
        and (applied_events.next_load_order is null or applied_events.next_load_order > month_versions_made.load_order)
),

final as (
    select * from files_of_versions
)

select * from final
