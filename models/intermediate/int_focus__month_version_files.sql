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

events_applying as (
    select *
    from month_timeline
    where applied_etag is not null
),

version_files_found as (
    select
        month_versions_made.data_source_id,
        month_versions_made.billing_month,
        month_versions_made.version_number,
        events_applying.key,
        events_applying.applied_etag as etag,
        events_applying.load_id as applied_load_id
    from month_versions_made
    inner join events_applying
        on month_versions_made.data_source_id = events_applying.data_source_id
        and month_versions_made.billing_month = events_applying.billing_month
        and events_applying.load_order <= month_versions_made.load_order
        and (events_applying.next_load_order is null or events_applying.next_load_order > month_versions_made.load_order)
),

final as (
    select * from version_files_found
)

select * from final
