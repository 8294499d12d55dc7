{% macro focus_row_checks() %}
    {#- The checks of int_focus__rows_parsed that compare columns of a row: name (its <name>__issue
        column), the FOCUS column it is reported under, and the catalogue rules it can emit. -#}
    {{ return([
        {'name': 'folder_month', 'column_id': 'ChargePeriodStart', 'rules': ['folder_month']},
        {'name': 'charge_period_order', 'column_id': 'ChargePeriodEnd', 'rules': ['period_order']},
        {'name': 'billing_period_order', 'column_id': 'BillingPeriodEnd', 'rules': ['period_order']},
    ]) }}
{% endmacro %}
