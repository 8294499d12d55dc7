{% macro focus_null_literals_removed(text) -%}
    {#- Exports write a missing value as an empty field or as the literal NULL: both are null. -#}
    nullif(nullif({{ text }}, ''), 'NULL')
{%- endmacro %}
