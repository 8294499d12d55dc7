{% macro focus_column_specs() %}
    {#- One dict per FOCUS column (1.0-1.4, both datasets), from the seeds as macro focus_reference carries them (files of
        the project, so every compile sees the same list, unit tests included), for models that need
        one SQL expression per column: column_id, column_key (its column in raw.focus_rows),
        data_type, dataset (CostAndUsage, or ContractCommitment for its own columns), alias_keys, and the profiles in which it must not be null, has allowed values, or
        holds a currency code. -#}
    {%- set reference = focus_reference() -%}
    {%- set specs = [] -%}
    {%- for column in reference['focus_columns'] -%}
        {%- set spec = {
            'column_id': column['column_id'],
            'column_key': column['column_key'],
            'data_type': column['data_type'],
            'dataset': column['dataset'],
            'alias_keys': [],
            'not_null_profiles': [],
            'enumerated_profiles': [],
            'currency_profiles': [],
        } -%}
        {%- for row in reference['focus_profile_columns'] if row['column_id'] == column['column_id'] -%}
            {%- if not row['is_nullable'] -%}
                {%- do spec['not_null_profiles'].append(row['profile']) -%}
            {%- endif -%}
            {%- if row['is_enumerated'] -%}
                {%- do spec['enumerated_profiles'].append(row['profile']) -%}
            {%- endif -%}
            {%- if row['is_currency_code'] -%}
                {%- do spec['currency_profiles'].append(row['profile']) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for alias in reference['focus_column_aliases'] if alias['column_id'] == column['column_id'] -%}
            {%- if alias['alias_key'] not in spec['alias_keys'] -%}
                {%- do spec['alias_keys'].append(alias['alias_key']) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do specs.append(spec) -%}
    {%- endfor -%}
    {{ return(specs) }}
{% endmacro %}
