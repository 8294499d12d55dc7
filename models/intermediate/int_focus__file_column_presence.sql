with

loaded_files as (
    select * from {{ ref('int_focus__loaded_files') }}
),

file_columns as (
    select * from {{ ref('int_focus__file_columns') }}
),

focus_columns as (
    select * from {{ ref('focus_columns') }}
),

profile_columns as (
    select * from {{ ref('focus_profile_columns') }}
),

column_aliases as (
    select * from {{ ref('focus_column_aliases') }}
),

file_focus_columns as (
    select
        loaded_files.data_source_id,
        loaded_files.key,
        loaded_files.etag,
        loaded_files.profile,
        focus_columns.column_id,
        focus_columns.column_key,
        coalesce(profile_columns.is_required, false) as is_required,
        profile_columns.requirement
    from loaded_files
    cross join focus_columns
    left join profile_columns
        on loaded_files.profile = profile_columns.profile
        and focus_columns.column_id = profile_columns.column_id
),

headers_matched as (
    select
        file_focus_columns.*,
        direct_headers.column_key as direct_column_key,
        alias_headers.column_name as alias_header_name,
        alias_headers.column_key as alias_column_key
    from file_focus_columns
    left join file_columns as direct_headers
        on file_focus_columns.data_source_id = direct_headers.data_source_id
        and file_focus_columns.key = direct_headers.key
        and file_focus_columns.etag = direct_headers.etag
        and file_focus_columns.column_id = direct_headers.column_name
    left join column_aliases
        on file_focus_columns.profile = column_aliases.profile
        and file_focus_columns.column_id = column_aliases.column_id
    left join file_columns as alias_headers
        on file_focus_columns.data_source_id = alias_headers.data_source_id
        and file_focus_columns.key = alias_headers.key
        and file_focus_columns.etag = alias_headers.etag
        and column_aliases.alias_name = alias_headers.column_name
),

final as (
    select
        data_source_id,
        key,
        etag,
        profile,
        column_id,
        column_key,
        is_required,
        requirement,
        coalesce(direct_column_key, alias_column_key) as source_key,
        case when direct_column_key is null then alias_header_name end as alias_header_name
    from headers_matched
)

select * from final
