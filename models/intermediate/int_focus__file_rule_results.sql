with

cell_issues as (
    select * from {{ ref('int_focus__cell_issues') }}
),

file_issues as (
    select * from {{ ref('int_focus__file_issues') }}
),

rules as (
    select * from {{ ref('validation_rules') }}
),

issues_combined as (
    select * from file_issues
    union all
    select * from cell_issues
),

issues_aggregated as (
    {{ aggregate_issue_samples(
        'issues_combined',
        ['data_source_id', 'key', 'etag', 'rule', 'column_name'],
        'source_row_number',
        'value',
        validation_sample_size(),
    ) }}
),

final as (
    select
        issues_aggregated.*,
        rules.severity,
        rules.rule_order,
        rules.message_template
    from issues_aggregated
    inner join rules
        on issues_aggregated.rule = rules.rule
)

select * from final
