-- The models read a FOCUS column from the raw column named in seed focus_columns (or
-- focus_column_aliases); the loader names raw columns itself. Any disagreement would silently read
-- nulls, so it stops the build.
with

file_columns as (
    select * from {{ ref('stg_focus__file_columns') }}
),

focus_columns as (
    select * from {{ ref('focus_columns') }}
),

column_aliases as (
    select * from {{ ref('focus_column_aliases') }}
),

expected_keys as (
    select column_id as column_name, column_key from focus_columns
    union all
    select alias_name as column_name, alias_key as column_key from column_aliases
),

final as (
    select
        file_columns.data_source_id,
        file_columns.key,
        file_columns.column_name,
        file_columns.column_key as loader_column_key,
        expected_keys.column_key as expected_column_key
    from file_columns
    inner join expected_keys
        on file_columns.column_name = expected_keys.column_name
    where file_columns.column_key <> expected_keys.column_key
)

select * from final
