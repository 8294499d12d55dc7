{% macro focus_checks() %}
    {#- Everything int_focus__rows_parsed checks per row, each with <name>__issue and
        <name>__issue_value columns: one check per FOCUS column (named by its column key) and the row
        rules that compare columns, reported under the column named here. -#}
    {%- set checks = [] -%}
    {%- for column in focus_column_specs() -%}
        {%- do checks.append({'name': column.column_key, 'column_id': column.column_id}) -%}
    {%- endfor -%}
    {%- do checks.extend([
        {'name': 'folder_month', 'column_id': 'ChargePeriodStart'},
        {'name': 'charge_period_order', 'column_id': 'ChargePeriodEnd'},
        {'name': 'billing_period_order', 'column_id': 'BillingPeriodEnd'},
    ]) -%}
    {{ return(checks) }}
{% endmacro %}
