with

column_presence as (
    select * from {{ ref('int_focus__file_column_presence') }}
),

files as (
    select * from {{ ref('int_focus__file_statuses') }}
),

column_aliases as (
    select * from {{ ref('focus_column_aliases') }}
),

loaded_files as (
    select * from {{ ref('int_focus__loaded_files') }}
),

file_columns as (
    select * from {{ ref('int_focus__file_columns') }}
),

focus_columns as (
    select * from {{ ref('focus_columns') }}
),

{#- A requirement is met by any of its columns (profile `any`: ServiceProviderName, ProviderName or its
    alias Provider); a missing one names every header that would have met it. #}
requirement_headers as (
    select
        column_presence.data_source_id,
        column_presence.key,
        column_presence.etag,
        column_presence.requirement,
        column_presence.column_id,
        column_presence.source_key,
        column_aliases.alias_name
    from column_presence
    left join column_aliases
        on column_presence.profile = column_aliases.profile
        and column_presence.column_id = column_aliases.column_id
    where column_presence.is_required
),

requirements_checked as (
    select
        data_source_id,
        key,
        etag,
        requirement,
        count(source_key) as columns_present,
        count(*) + count(alias_name) as header_count,
        {{ ordered_listagg(
            dbt.concat(['column_id', "case when alias_name is null then '' else ', ' || alias_name end"]),
            "', '",
            'column_id',
            descending=true,
        ) }} as header_names
    from requirement_headers
    group by data_source_id, key, etag, requirement
),

required_columns_missing as (
    select
        requirements_checked.data_source_id,
        requirements_checked.key,
        requirements_checked.etag,
        'required_column' as rule,
        requirements_checked.requirement as column_name,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        case when requirements_checked.header_count > 1 then {{ dbt.concat(["' (none of '", 'requirements_checked.header_names', "' is in the header)'"]) }} end
            as value
    from requirements_checked
    inner join loaded_files
        on requirements_checked.data_source_id = loaded_files.data_source_id
        and requirements_checked.key = loaded_files.key
        and requirements_checked.etag = loaded_files.etag
    where requirements_checked.columns_present = 0
        {#- A file of no known dataset gets one unknown_dataset error instead of every missing column. #}
        and loaded_files.is_dataset_known
),

datasets_unknown as (
    select
        data_source_id,
        key,
        etag,
        'unknown_dataset' as rule,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        case
            when dataset is null
                then 'the header has no column of a FOCUS dataset (Cost and Usage, ContractCommitment): it is not a FOCUS file, or its header line is missing'
            else {{ dbt.concat([
                "'the header is that of the FOCUS '", 'dataset', "' dataset, which profile '", 'source_profile',
                "' does not have'",
            ]) }}
        end as value
    from loaded_files
    where not is_dataset_known
),

column_aliases_used as (
    select
        data_source_id,
        key,
        etag,
        'column_alias' as rule,
        column_id as column_name,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        alias_header_name as value
    from column_presence
    where alias_header_name is not null
),

{#- FOCUS Column Naming: a custom column starts with x_. Any other header that is not a FOCUS column
    (of any version) or an alias of the profile is not read, so the FOCUS column it was meant to be
    would silently be null: it is reported with the FOCUS column it resembles (same name but for
    case, or at most two edits away). #}
headers_unknown as (
    select
        file_columns.data_source_id,
        file_columns.key,
        file_columns.etag,
        file_columns.column_name
    from file_columns
    inner join loaded_files
        on file_columns.data_source_id = loaded_files.data_source_id
        and file_columns.key = loaded_files.key
        and file_columns.etag = loaded_files.etag
    left join focus_columns
        on file_columns.column_name = focus_columns.column_id
    left join column_aliases
        on loaded_files.profile = column_aliases.profile
        and file_columns.column_name = column_aliases.alias_name
    where focus_columns.column_id is null
        and column_aliases.alias_name is null
        and loaded_files.is_dataset_known
        and substring(file_columns.column_name, 1, 2) <> 'x_'
),

resemblances_ranked as (
    select
        headers_unknown.*,
        focus_columns.column_id as resembled_column_id,
        row_number() over (
            partition by headers_unknown.data_source_id, headers_unknown.key, headers_unknown.etag,
                headers_unknown.column_name
            order by levenshtein(lower(headers_unknown.column_name), lower(focus_columns.column_id)),
                focus_columns.column_id
        ) as resemblance_rank
    from headers_unknown
    left join focus_columns
        on levenshtein(lower(headers_unknown.column_name), lower(focus_columns.column_id)) <= 2
        {#- A shortened name, e.g. `Provider` (FOCUS 1.0's display name of ProviderName). #}
        or (
            length(headers_unknown.column_name) >= 6
            and {{ dbt.position('lower(headers_unknown.column_name)', 'lower(focus_columns.column_id)') }} = 1
        )
),

unknown_columns as (
    select
        data_source_id,
        key,
        etag,
        'unknown_column' as rule,
        column_name,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        case
            when resembled_column_id is not null
                then {{ dbt.concat(["' (it resembles the FOCUS column '", 'resembled_column_id', "')'"]) }}
        end as value
    from resemblances_ranked
    where resemblance_rank = 1
),

unreadable_files as (
    select
        data_source_id,
        key,
        etag,
        'readable_file' as rule,
        cast(null as {{ dbt.type_string() }}) as column_name,
        error_line as source_row_number,
        coalesce(error, 'no reason given') as value
    from files
    where status = 'rejected'
),

final as (
    select * from required_columns_missing
    union all
    select * from column_aliases_used
    union all
    select * from unknown_columns
    union all
    select * from datasets_unknown
    union all
    select * from unreadable_files
)

select * from final
