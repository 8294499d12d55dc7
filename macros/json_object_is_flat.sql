{% macro json_object_is_flat(json_text) -%}
    {#- True when no value of a JSON object (a text that passed is_json_object) is an object or an
        array: FOCUS Key-Value Format. -#}
    {{ return(adapter.dispatch('json_object_is_flat')(json_text)) }}
{%- endmacro %}

{% macro default__json_object_is_flat(json_text) -%}
    {#- Spark SQL: a nested value comes back as its JSON text from a map<string,string> parse. -#}
    not exists(
        map_values(from_json({{ json_text }}, 'map<string,string>')),
        v -> left(v, 1) in ('{', '[')
    )
{%- endmacro %}

{% macro duckdb__json_object_is_flat(json_text) -%}
    not list_has_any(json_type({{ json_text }}, '$.*'), ['OBJECT', 'ARRAY'])
{%- endmacro %}
