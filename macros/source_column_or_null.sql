{% macro source_column_or_null(relation_alias, column_name, present_columns, null_type=none) -%}
    {#- A column that only exists once some file carried it; emit a typed null (null_type, text by
        default) until then so that every FOCUS column exists downstream. present_columns: lower-case
        names, from relation_column_names(). -#}
    {%- if column_name | lower in present_columns -%}
        {{ relation_alias }}.{{ column_name }}
    {%- else -%}
        cast(null as {{ null_type or dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
