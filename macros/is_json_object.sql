{% macro is_json_object(expression) -%}
    {#- True when the text is a valid serialized JSON object (not an array or scalar); false otherwise,
        null included. -#}
    {{ return(adapter.dispatch('is_json_object', 'focus_ingest')(expression)) }}
{%- endmacro %}

{% macro default__is_json_object(expression) -%}
    {#- Spark SQL. Every Spark JSON reader stops after the first value, so `{"a":1} trailing` would pass
        (docs/design/scale-out.md, risk 14). Wrapped as `[x]` the trailing text must be `]` for the array to
        close after one element, and wrapped as `{"k":x}` that same `]` is an error: together they accept
        exactly one JSON value and nothing after it. from_json's options turn off the leniencies that
        DuckDB does not have (single quotes, NaN); unquoted control characters are off by default. -#}
    {%- set strict = "map('allowSingleQuotes', 'false', 'allowNonNumericNumbers', 'false')" -%}
    coalesce(
        trim({{ expression }}) like {{ "'{%'" }}
        and size(from_json(concat('[', {{ expression }}, ']'), 'array<string>', {{ strict }})) = 1
        and from_json(concat('{"k":', {{ expression }}, '}'), 'struct<k:string>', {{ strict }}).k is not null,
        false
    )
{%- endmacro %}

{% macro duckdb__is_json_object(expression) -%}
    {#- json_type raises on malformed text; CASE only evaluates it for valid JSON. -#}
    case when json_valid({{ expression }}) then json_type({{ expression }}) = 'OBJECT' else false end
{%- endmacro %}
