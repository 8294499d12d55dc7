-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# Only rows with an issue were kept (int_focus__row_issues), and of those only the cells with one are
    unpivoted here. #}
{% set checks = focus_checks() %}

with

row_issues as (
    select * from {{ ref('int_focus__row_issues') }}
),

issues_unpivoted as (
    {%- for check in checks %}
    select
        data_source_id,
        key,
        etag,
        {{ check.name }}__issue as rule,
        '{{ check.column_id }}' as column_name,
        source_row_number,
        {{ check.name }}__issue_value as value
    from row_issues
    where {{ check.name }}__issue is not null
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select * from issues_unpivoted
)

select * from final
