{% macro focus_json_type() -%}
    {{ return(adapter.dispatch('focus_json_type')()) }}
{%- endmacro %}

{% macro default__focus_json_type() -%}
    {#- Spark has no JSON type: JSON stays text (get_json_object / from_json read it). -#}
    {{ dbt.type_string() }}
{%- endmacro %}

{% macro duckdb__focus_json_type() -%}
    json
{%- endmacro %}
