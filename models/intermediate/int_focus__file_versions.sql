{# A loaded file's dataset and the FOCUS versions its header is consistent with: those whose dataset
    defines every FOCUS column the header carries (an alias counts as its column). A header with ServiceProviderName is 1.3 or 1.4,
    one with InvoiceDetailId is 1.4, one with ProviderName is 1.3 or older. Newest first. #}
with

loaded_files as (
    select * from {{ ref('int_focus__loaded_files') }}
),

column_presence as (
    select * from {{ ref('int_focus__file_column_presence') }}
),

profiles as (
    select * from {{ ref('validation_profiles') }}
),

profile_columns as (
    select * from {{ ref('focus_profile_columns') }}
),

version_columns as (
    select
        profiles.dataset,
        profiles.focus_version,
        profile_columns.column_id
    from profiles
    inner join profile_columns
        on profiles.profile = profile_columns.profile
    where profiles.focus_version is not null
),

columns_carried as (
    select distinct
        data_source_id,
        key,
        etag,
        column_id
    from column_presence
    where source_key is not null
),

files_by_version as (
    select
        loaded_files.data_source_id,
        loaded_files.key,
        loaded_files.etag,
        loaded_files.dataset,
        versions.focus_version
    from loaded_files
    inner join (select distinct dataset, focus_version from version_columns) as versions
        on coalesce(loaded_files.dataset, 'CostAndUsage') = versions.dataset
),

columns_outside_version as (
    select
        files_by_version.data_source_id,
        files_by_version.key,
        files_by_version.etag,
        files_by_version.dataset,
        files_by_version.focus_version,
        count(columns_carried.column_id) - count(version_columns.column_id) as foreign_column_count
    from files_by_version
    left join columns_carried
        on files_by_version.data_source_id = columns_carried.data_source_id
        and files_by_version.key = columns_carried.key
        and files_by_version.etag = columns_carried.etag
    left join version_columns
        on files_by_version.focus_version = version_columns.focus_version
        and coalesce(files_by_version.dataset, 'CostAndUsage') = version_columns.dataset
        and columns_carried.column_id = version_columns.column_id
    group by files_by_version.data_source_id, files_by_version.key, files_by_version.etag,
        files_by_version.dataset, files_by_version.focus_version
),

final as (
    select
        data_source_id,
        key,
        etag,
        dataset,
        {#- 'none': the header mixes columns that no single version defines together. #}
        coalesce({{ ordered_listagg(
            'case when foreign_column_count = 0 then focus_version end', "', '", 'focus_version', descending=true
        ) }}, 'none') as focus_versions
    from columns_outside_version
    group by data_source_id, key, etag, dataset
)

select * from final
