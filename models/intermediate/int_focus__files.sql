-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{% set focus_columns = focus_column_specs() %}

with

loaded_files as (
    select * from {{ ref('int_focus__loaded_files') }}
),

column_presence as (
    select * from {{ ref('int_focus__file_column_presence') }}
),

source_keys_pivoted as (
    select
        data_source_id,
        key,
        etag,
        {%- for column in focus_columns %}
        max(case when column_id = '{{ column.column_id }}' then source_key end) as {{ column.column_key }}__source_key{% if not loop.last %},{% endif %}
        {%- endfor %}
    from column_presence
    group by data_source_id, key, etag
),

final as (
    select
        loaded_files.*,
        {%- for column in focus_columns %}
        source_keys_pivoted.{{ column.column_key }}__source_key{% if not loop.last %},{% endif %}
        {%- endfor %}
    from loaded_files
    inner join source_keys_pivoted
        on loaded_files.data_source_id = source_keys_pivoted.data_source_id
        and loaded_files.key = source_keys_pivoted.key
        and loaded_files.etag = source_keys_pivoted.etag
)

select * from final
