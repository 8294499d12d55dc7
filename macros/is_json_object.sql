{% macro is_json_object(expression) -%}
    {#- True when the text is a valid serialized JSON object (not an array or scalar). -#}
    {{ return(adapter.dispatch('is_json_object', 'focus_ingest')(expression)) }}
{%- endmacro %}

{% macro default__is_json_object(expression) -%}
    (trim({{ expression }}) like {{ "'{%'" }} and get_json_object({{ expression }}, '$') is not null)
{%- endmacro %}

{% macro duckdb__is_json_object(expression) -%}
    {#- json_type raises on malformed text; CASE only evaluates it for valid JSON. -#}
    case when json_valid({{ expression }}) then json_type({{ expression }}) = 'OBJECT' else false end
{%- endmacro %}
