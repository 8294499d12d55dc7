{% macro json_object_is_flat(json_text) -%}
    {#- True when no value of a JSON object (a text that passed is_json_object) is an object or an
        array: FOCUS Key-Value Format. -#}
    {{ return(adapter.dispatch('json_object_is_flat', 'focus_ingest')(json_text)) }}
{%- endmacro %}

{% macro default__json_object_is_flat(json_text) -%}
    {#- Spark SQL (>= 4.0, variant): each value keeps its JSON type, so a string that merely starts with
        `{` or `[` (`{"env":"[prod]"}`) is flat. A map<string,string> parse would lose that. -#}
    not exists(
        map_values(from_json({{ json_text }}, 'map<string,variant>')),
        v -> schema_of_variant(v) like 'OBJECT%' or schema_of_variant(v) like 'ARRAY%'
    )
{%- endmacro %}

{% macro duckdb__json_object_is_flat(json_text) -%}
    not list_has_any(json_type({{ json_text }}, '$.*'), ['OBJECT', 'ARRAY'])
{%- endmacro %}
