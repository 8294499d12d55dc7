{% macro focus_condition_sample(column_ids) -%}
    {#- The sample of a rule between columns: each column's raw text, `CommitmentDiscountId='' ...`, so
        a report shows the values the condition saw. Inside int_focus__rows_parsed (<column_key>__raw). -#}
    {%- set parts = [] -%}
    {%- for column_id in column_ids -%}
        {%- set column = focus_column_specs() | selectattr('column_id', 'equalto', column_id) | first -%}
        {%- if not loop.first -%}{%- do parts.append("' '") -%}{%- endif -%}
        {%- do parts.append("'" ~ column_id ~ "='''") -%}
        {%- do parts.append('coalesce(' ~ column.column_key ~ "__raw, '')") -%}
        {%- do parts.append("''''") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
