with

column_presence as (
    select * from {{ ref('int_focus__file_column_presence') }}
),

files as (
    select * from {{ ref('stg_focus__files') }}
),

column_aliases as (
    select * from {{ ref('focus_column_aliases') }}
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
        {{ dbt.listagg(
            dbt.concat(['column_id', "case when alias_name is null then '' else ', ' || alias_name end"]),
            "', '",
            'order by column_id desc',
        ) }} as header_names
    from requirement_headers
    group by data_source_id, key, etag, requirement
),

required_columns_missing as (
    select
        data_source_id,
        key,
        etag,
        'required_column' as rule,
        requirement as column_name,
        cast(null as {{ dbt.type_bigint() }}) as source_row_number,
        case when header_count > 1 then {{ dbt.concat(["' (none of '", 'header_names', "' is in the header)'"]) }} end
            as value
    from requirements_checked
    where columns_present = 0
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
