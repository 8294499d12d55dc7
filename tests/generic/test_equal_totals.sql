{% test equal_totals(model, compare_model, group_by, sum_columns, count_column) %}
{#- Sums of the model equal sums of compare_model per group (e.g. per currency), and the sum of the
    model's count_column equals compare_model's row count; a group missing on one side fails too. #}
with

model_totals as (
    select
        {{ group_by }} as total_group,
        {%- for column in sum_columns %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        sum({{ count_column }}) as row_total
    from {{ model }}
    group by {{ group_by }}
),

compare_totals as (
    select
        {{ group_by }} as total_group,
        {%- for column in sum_columns %}
        sum({{ column }}) as {{ column }},
        {%- endfor %}
        count(*) as row_total
    from {{ compare_model }}
    group by {{ group_by }}
)

select
    coalesce(model_totals.total_group, compare_totals.total_group) as total_group
from model_totals
full outer join compare_totals
    on model_totals.total_group = compare_totals.total_group
where model_totals.total_group is null
    or compare_totals.total_group is null
    {%- for column in sum_columns %}
    or coalesce(model_totals.{{ column }}, 0) <> coalesce(compare_totals.{{ column }}, 0)
    {%- endfor %}
    or model_totals.row_total <> compare_totals.row_total
{% endtest %}
