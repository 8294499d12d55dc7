{% macro validation_sample_size() -%}
    {#- How many (row number, value) samples reports keep per file, rule and column. -#}
    {{ return(5) }}
{%- endmacro %}
