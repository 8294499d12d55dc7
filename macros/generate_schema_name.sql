{% macro generate_schema_name(custom_schema_name, node) -%}
    {#- Schema names are an interface (raw, staging, intermediate, marts, reference): use them as
        written instead of dbt's default <target schema>_<custom schema>. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
