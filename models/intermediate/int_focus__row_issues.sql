-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{% set checks = focus_checks() %}

with

rows_parsed as (
    select * from {{ ref('int_focus__rows_parsed') }}
),

rows_with_issues as (
    select
        data_source_id,
        key,
        etag,
        source_row_number,
        {%- for check in checks %}
        {{ check.name }}__issue,
        {{ check.name }}__issue_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from rows_parsed
    where has_issue
),

final as (
    select * from rows_with_issues
)

select * from final
