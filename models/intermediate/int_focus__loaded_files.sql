with

file_statuses as (
    select * from {{ ref('int_focus__file_statuses') }}
),

data_sources as (
    select * from {{ ref('int_focus__data_sources') }}
),

profiles as (
    select * from {{ ref('validation_profiles') }}
),

file_columns as (
    select * from {{ ref('int_focus__file_columns') }}
),

focus_columns as (
    select * from {{ ref('focus_columns') }}
),

column_aliases as (
    select * from {{ ref('focus_column_aliases') }}
),

loaded_files as (
    select
        data_source_id,
        key,
        etag,
        {#- The load that holds the version's rows: a version read again is validated again. #}
        load_id as run_id,
        billing_month,
        billing_month_start,
        row_count
    from file_statuses
    where status = 'loaded'
),

{#- A file's dataset is told by its header: the dataset most of its FOCUS columns belong to (a column
    both datasets define, BillingCurrency, and header aliases count for Cost and Usage); none when the
    header has no FOCUS column. #}
header_columns_counted as (
    select
        file_columns.data_source_id,
        file_columns.key,
        file_columns.etag,
        count(case when focus_columns.dataset = 'CostAndUsage' or column_aliases.alias_name is not null then 1 end)
            as cost_and_usage_columns,
        count(case when focus_columns.dataset = 'ContractCommitment' then 1 end) as contract_commitment_columns
    from file_columns
    left join focus_columns
        on file_columns.column_name = focus_columns.column_id
    left join (select distinct alias_name from column_aliases) as column_aliases
        on file_columns.column_name = column_aliases.alias_name
    group by file_columns.data_source_id, file_columns.key, file_columns.etag
),

datasets_detected as (
    select
        loaded_files.*,
        coalesce(data_sources.profile, 'any') as source_profile,
        case
            when header_columns_counted.contract_commitment_columns > header_columns_counted.cost_and_usage_columns
                then 'ContractCommitment'
            when header_columns_counted.cost_and_usage_columns > 0 then 'CostAndUsage'
        end as dataset
    from loaded_files
    left join data_sources
        on loaded_files.data_source_id = data_sources.data_source_id
    left join header_columns_counted
        on loaded_files.data_source_id = header_columns_counted.data_source_id
        and loaded_files.key = header_columns_counted.key
        and loaded_files.etag = header_columns_counted.etag
),

{#- The dataset's variant of the data source's profile (any/ContractCommitment, ...). A file of no
    dataset, or of one its profile's FOCUS version does not have (ContractCommitment before 1.3), keeps
    the data source's profile with is_dataset_known false: int_focus__file_issues reports it once. #}
profiles_assigned as (
    select
        datasets_detected.data_source_id,
        datasets_detected.key,
        datasets_detected.etag,
        datasets_detected.run_id,
        datasets_detected.billing_month,
        datasets_detected.billing_month_start,
        datasets_detected.row_count,
        coalesce(dataset_profiles.profile, datasets_detected.source_profile) as profile,
        datasets_detected.source_profile,
        datasets_detected.dataset,
        dataset_profiles.profile is not null as is_dataset_known
    from datasets_detected
    left join profiles as dataset_profiles
        on datasets_detected.source_profile = dataset_profiles.base_profile
        and datasets_detected.dataset = dataset_profiles.dataset
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
