{% macro render_rule_message(template, column_name, issue_count, first_row_number, first_value, billing_month) -%}
    {#- Fills a validation_rules.message_template so reports say in words what to fix. -#}
    replace(replace(replace(replace(replace({{ template }},
        '{column}', coalesce({{ column_name }}, '')),
        '{count}', cast({{ issue_count }} as {{ dbt.type_string() }})),
        '{row}', coalesce(cast({{ first_row_number }} as {{ dbt.type_string() }}), '?')),
        '{value}', coalesce({{ first_value }}, '')),
        '{billing_month}', coalesce({{ billing_month }}, ''))
{%- endmacro %}
