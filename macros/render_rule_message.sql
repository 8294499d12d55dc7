{% macro render_rule_message(template, column_name, issue_count, first_row_number, first_value, billing_month) -%}
    {#- Fills a validation_rules.message_template so reports say in words what to fix. {line} is
        " (line N)", or nothing when the line is not known (a file cut short, say). -#}
    {%- set row_text = 'cast(' ~ first_row_number ~ ' as ' ~ dbt.type_string() ~ ')' -%}
    replace(replace(replace(replace(replace(replace({{ template }},
        '{line}', coalesce({{ dbt.concat(["' (line '", row_text, "')'"]) }}, '')),
        '{column}', coalesce({{ column_name }}, '')),
        '{count}', cast({{ issue_count }} as {{ dbt.type_string() }})),
        '{row}', coalesce({{ row_text }}, '?')),
        '{value}', coalesce({{ first_value }}, '')),
        '{billing_month}', coalesce({{ billing_month }}, ''))
{%- endmacro %}
