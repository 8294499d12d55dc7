-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# FOCUS values stay text here: telling a malformed value from a valid one is the validation's job
    (int_focus__rows_parsed), which needs the text. raw.focus_rows has every FOCUS column and alias
    (the loader declares them, loader/focus_ingest/focus_catalog.py), null where a file did not carry it. -#}
{%- set focus_columns = focus_column_specs() -%}

with

raw_rows as (
    select * from {{ source('raw', 'focus_rows') }}
),

manifest as (
    select * from {{ source('raw', 'manifest') }}
),

loaded_versions as (
    select
        data_source,
        key,
        etag,
        run_id
    from manifest
    where status = 'loaded'
),

rows_of_loaded_versions as (
    select
        raw_rows._ingest_data_source as data_source_id,
        raw_rows._ingest_key as key,
        raw_rows._ingest_etag as etag,
        raw_rows._ingest_billing_month as billing_month,
        raw_rows._ingest_row_number as source_row_number,
        {%- for column in focus_columns %}
        raw_rows.{{ column.column_key }},
        {%- for alias_key in column.alias_keys %}
        raw_rows.{{ alias_key }},
        {%- endfor %}
        {%- endfor %}
        raw_rows._ingest_run_id as run_id
    from raw_rows
    inner join loaded_versions
        on raw_rows._ingest_data_source = loaded_versions.data_source
        and raw_rows._ingest_key = loaded_versions.key
        and raw_rows._ingest_etag = loaded_versions.etag
        and raw_rows._ingest_run_id = loaded_versions.run_id
),

final as (
    select * from rows_of_loaded_versions
)

select * from final
