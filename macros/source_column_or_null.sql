{% macro source_column_or_null(relation_alias, column_name, present_columns) -%}
    {#- A raw column only exists once some file carried it; emit a typed null until then so that every
        FOCUS column exists downstream. present_columns: lower-case names from get_columns_in_relation. -#}
    {%- if column_name | lower in present_columns -%}
        {{ relation_alias }}.{{ column_name }}
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}
