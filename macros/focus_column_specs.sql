{% macro focus_column_specs() %}
    {#- One dict per FOCUS column (1.0-1.3), read from the seeds, for models that need one SQL expression
        per column: column_id, column_key (its column in raw.focus_rows), data_type, alias_keys, and the
        profiles in which it must not be null, has allowed values, or holds a currency code.
        Empty at parse time, when there is no database to read. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select
            focus_columns.column_id,
            focus_columns.column_key,
            focus_columns.data_type,
            profile_columns.profile,
            profile_columns.is_nullable,
            profile_columns.is_enumerated,
            profile_columns.is_currency_code,
            aliases.alias_key
        from {{ reference_relation('focus_columns') }} as focus_columns
        left join {{ reference_relation('focus_profile_columns') }} as profile_columns
            on profile_columns.column_id = focus_columns.column_id
        left join {{ reference_relation('focus_column_aliases') }} as aliases
            on aliases.column_id = profile_columns.column_id
            and aliases.profile = profile_columns.profile
        order by focus_columns.column_id, profile_columns.profile
    {%- endset -%}
    {%- set specs = [] -%}
    {%- set specs_by_id = {} -%}
    {%- for row in run_query(query).rows -%}
        {%- if row['column_id'] not in specs_by_id -%}
            {%- set spec = {
                'column_id': row['column_id'],
                'column_key': row['column_key'],
                'data_type': row['data_type'],
                'alias_keys': [],
                'not_null_profiles': [],
                'enumerated_profiles': [],
                'currency_profiles': [],
            } -%}
            {%- do specs_by_id.update({row['column_id']: spec}) -%}
            {%- do specs.append(spec) -%}
        {%- endif -%}
        {%- set spec = specs_by_id[row['column_id']] -%}
        {%- if row['is_nullable'] == false -%}
            {%- do spec['not_null_profiles'].append(row['profile']) -%}
        {%- endif -%}
        {%- if row['is_enumerated'] -%}
            {%- do spec['enumerated_profiles'].append(row['profile']) -%}
        {%- endif -%}
        {%- if row['is_currency_code'] -%}
            {%- do spec['currency_profiles'].append(row['profile']) -%}
        {%- endif -%}
        {%- if row['alias_key'] and row['alias_key'] not in spec['alias_keys'] -%}
            {%- do spec['alias_keys'].append(row['alias_key']) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(specs) }}
{% endmacro %}
