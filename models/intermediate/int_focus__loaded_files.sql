with

files as (
    select * from {{ ref('stg_focus__files') }}
),

data_sources as (
    select * from {{ ref('stg_focus__data_sources') }}
),

profiles as (
    select * from {{ ref('validation_profiles') }}
),

loaded_files as (
    select
        data_source_id,
        key,
        etag,
        billing_month,
        billing_month_start,
        row_count
    from files
    where status = 'loaded'
),

profiles_assigned as (
    select
        loaded_files.data_source_id,
        loaded_files.key,
        loaded_files.etag,
        loaded_files.billing_month,
        loaded_files.billing_month_start,
        loaded_files.row_count,
        coalesce(data_sources.profile, 'any') as profile
    from loaded_files
    left join data_sources
        on loaded_files.data_source_id = data_sources.data_source_id
),

final as (
    select
        profiles_assigned.*,
        profiles.is_lenient
    from profiles_assigned
    inner join profiles
        on profiles_assigned.profile = profiles.profile
)

select * from final
