{% macro focus_checks() %}
    {#- Everything int_focus__rows_parsed checks per row, each with <name>__issue and
        <name>__issue_value columns: one check per FOCUS column (named by its column key) and the row
        rules that compare columns, reported under the column named here. `rules` lists every issue code
        the check can report (the outcomes of its CASE in int_focus__rows_parsed), so that
        int_focus__row_check_results counts them all in one pass. -#}
    {%- set checks = [] -%}
    {%- for column in focus_column_specs() -%}
        {%- set rules = (['not_null'] if column.not_null_profiles else []) + ['lenient_null'] -%}
        {%- if column.data_type == 'Decimal' -%}
            {%- do rules.extend(['decimal_format', 'lenient_number', 'rounded_number']) -%}
        {%- elif column.data_type == 'Date/Time' -%}
            {%- do rules.extend(['datetime_format', 'lenient_datetime']) -%}
        {%- elif column.data_type == 'JSON' -%}
            {%- do rules.append('json_format') -%}
        {%- endif -%}
        {%- if column.enumerated_profiles -%}
            {%- do rules.extend(['allowed_value', 'lenient_value']) -%}
        {%- endif -%}
        {%- if column.currency_profiles -%}
            {%- do rules.append('currency_code') -%}
        {%- endif -%}
        {%- do checks.append({'name': column.column_key, 'column_id': column.column_id, 'rules': rules}) -%}
    {%- endfor -%}
    {%- do checks.extend([
        {'name': 'folder_month', 'column_id': 'ChargePeriodStart', 'rules': ['folder_month']},
        {'name': 'charge_period_order', 'column_id': 'ChargePeriodEnd', 'rules': ['period_order']},
        {'name': 'billing_period_order', 'column_id': 'BillingPeriodEnd', 'rules': ['period_order']},
    ]) -%}
    {{ return(checks) }}
{% endmacro %}
