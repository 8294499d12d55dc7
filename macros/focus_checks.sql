{% macro focus_checks() %}
    {#- Everything int_focus__rows_parsed checks per row, each with <name>__issue and
        <name>__issue_value columns: one check per FOCUS column (named by its column key) and the row
        rules that compare columns, reported under the column named here. `rules` lists every issue code
        the check can report, taken from the rule catalogue (validation_rules.checked_in: the columns a
        cell rule applies to, or `row`), so that int_focus__row_check_results counts them all in one
        pass; an issue code outside the list is counted as uncounted_issue_count and fails the test
        assert_every_issue_code_is_counted. -#}
    {%- set catalogue = focus_reference()['validation_rules'] -%}
    {%- set checks = [] -%}
    {%- for column in focus_column_specs() -%}
        {%- set rules = [] -%}
        {%- for rule in catalogue -%}
            {%- set applies = rule.checked_in == 'column'
                or rule.checked_in == column.data_type
                or (rule.checked_in == 'not_null' and column.not_null_profiles)
                or (rule.checked_in == 'enumerated' and column.enumerated_profiles)
                or (rule.checked_in == 'currency' and column.currency_profiles) -%}
            {%- if applies -%}
                {%- do rules.append(rule.rule) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do checks.append({'name': column.column_key, 'column_id': column.column_id, 'rules': rules}) -%}
    {%- endfor -%}
    {%- for check in focus_row_checks() -%}
        {%- for rule in check.rules -%}
            {%- if rule not in catalogue | selectattr('checked_in', 'equalto', 'row') | map(attribute='rule') | list -%}
                {{ exceptions.raise_compiler_error("row check " ~ check.name ~ ": rule " ~ rule ~ " is not a row rule of seeds/validation_rules.csv") }}
            {%- endif -%}
        {%- endfor -%}
        {%- do checks.append(check) -%}
    {%- endfor -%}
    {{ return(checks) }}
{% endmacro %}
