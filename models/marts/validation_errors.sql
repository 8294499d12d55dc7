{%- set sample_size = validation_sample_size() %}

with

rule_results as (
    select * from {{ ref('int_focus__file_rule_results') }}
),

final as (
    select
        data_source_id,
        key,
        etag,
        rule,
        severity,
        column_name,
        issue_count as error_count,
        {%- for rank in range(1, sample_size + 1) %}
        sample_{{ rank }}_row_number,
        sample_{{ rank }}_value,
        {%- endfor %}
        how_to_fix
    from rule_results
)

select * from final
