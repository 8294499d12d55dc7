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
        run_id,
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
        loaded_files.run_id,
        loaded_files.billing_month,
        loaded_files.billing_month_start,
        loaded_files.row_count,
        coalesce(data_sources.profile, 'any') as profile
    from loaded_files
    left join data_sources
        on loaded_files.data_source_id = data_sources.data_source_id
),

validations_identified as (
    select
        profiles_assigned.*,
        profiles.is_lenient,
        {#- Everything a file version's validation depends on: its rows (the run that read them), its
            profile, and the project's code. Incremental models keep a version's results while its
            validation_id stays the same. #}
        {{ dbt.hash(dbt.concat([
            'profiles_assigned.data_source_id', "'|'",
            'profiles_assigned.key', "'|'",
            'profiles_assigned.etag', "'|'",
            'profiles_assigned.run_id', "'|'",
            'profiles_assigned.profile', "'|'",
            "'" ~ validation_fingerprint() ~ "'",
        ])) }} as validation_id
    from profiles_assigned
    inner join profiles
        on profiles_assigned.profile = profiles.profile
),

final as (
    select * from validations_identified
)

select * from final
