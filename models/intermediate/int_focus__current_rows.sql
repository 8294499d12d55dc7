-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# The raw rows that count: those of current `loaded` versions, from the very load that the version's
    status names. Rows of loads that never completed, of replaced or deleted versions, of versions
    rejected half-way and of an earlier read of the same version are left out by the inner join. -#}
{%- set focus_columns = focus_column_specs() -%}

with

raw_rows as (
    select * from {{ ref('stg_focus__rows') }}
),

file_statuses as (
    select * from {{ ref('int_focus__file_statuses') }}
),

loaded_versions as (
    select
        data_source_id,
        key,
        etag,
        load_id
    from file_statuses
    where status = 'loaded'
),

rows_of_loaded_versions as (
    select
        raw_rows.data_source_id,
        raw_rows.key,
        raw_rows.etag,
        raw_rows.billing_month,
        raw_rows.source_row_number,
        {%- for column in focus_columns %}
        raw_rows.{{ column.column_key }},
        {%- for alias_key in column.alias_keys %}
        raw_rows.{{ alias_key }},
        {%- endfor %}
        {%- endfor %}
        raw_rows.load_id as run_id
    from raw_rows
    inner join loaded_versions
        on raw_rows.data_source_id = loaded_versions.data_source_id
        and raw_rows.key = loaded_versions.key
        and raw_rows.etag = loaded_versions.etag
        and raw_rows.load_id = loaded_versions.load_id
),

final as (
    select * from rows_of_loaded_versions
)

select * from final
