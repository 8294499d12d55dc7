with

column_presence as (
    select * from {{ ref('int_focus__file_column_presence') }}
),

files as (
    select * from {{ ref('stg_focus__files') }}
),

required_columns_missing as (
    select
        data_source_id,
        key,
        etag,
        'required_column' as rule,
        column_id as column_name,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        cast(null as {{ dbt.type_string() }}) as value
    from column_presence
    where is_required
        and source_key is null
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
    select * from unreadable_files
)

select * from final
