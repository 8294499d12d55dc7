-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# raw.focus_rows renamed, every row of every load, including loads that never completed and versions
    that are no longer current: int_focus__current_rows keeps the rows that count. FOCUS values stay text
    here: telling a malformed value from a valid one is the validation's job (int_focus__rows_parsed),
    which needs the text. raw.focus_rows has every FOCUS column and alias (the loader declares them,
    loader/focus_ingest/focus_catalog.py), null where a file did not carry it. -#}
{%- set focus_columns = focus_column_specs() -%}

with

raw_rows as (
    select * from {{ source('raw', 'focus_rows') }}
),

renamed as (
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
        raw_rows._dlt_load_id as load_id
    from raw_rows
),

final as (
    select * from renamed
)

select * from final
