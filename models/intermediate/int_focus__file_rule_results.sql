{%- set sample_size = validation_sample_size() -%}

with

row_check_results as (
    select * from {{ ref('int_focus__row_check_results') }}
),

file_issues as (
    select * from {{ ref('int_focus__file_issues') }}
),

rules as (
    select * from {{ ref('validation_rules') }}
),

row_issues_found as (
    select
        data_source_id,
        key,
        etag,
        rule,
        column_name,
        issue_count,
        first_row_number,
        {%- for rank in range(1, sample_size + 1) %}
        sample_{{ rank }}_row_number,
        sample_{{ rank }}_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from row_check_results
    where issue_count > 0
),

{#- A file-level issue occurs at most once per file, rule and column (unique key of this model):
    it is its own first and only sample. #}
file_issues_counted as (
    select
        data_source_id,
        key,
        etag,
        rule,
        column_name,
        cast(1 as {{ dbt.type_bigint() }}) as issue_count,
        source_row_number as first_row_number,
        source_row_number as sample_1_row_number,
        value as sample_1_value,
        {%- for rank in range(2, sample_size + 1) %}
        cast(null as {{ dbt.type_bigint() }}) as sample_{{ rank }}_row_number,
        cast(null as {{ dbt.type_string() }}) as sample_{{ rank }}_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from file_issues
),

issues_combined as (
    select * from file_issues_counted
    union all
    select * from row_issues_found
),

final as (
    select
        issues_combined.*,
        rules.severity,
        rules.rule_order,
        rules.message_template
    from issues_combined
    inner join rules
        on issues_combined.rule = rules.rule
)

select * from final
