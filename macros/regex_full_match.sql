{% macro regex_full_match(expression, pattern) -%}
    {#- True when the whole value matches. Patterns avoid backslashes (use [0-9], [.]) because string
        literals escape them differently across engines. -#}
    {{ return(adapter.dispatch('regex_full_match', 'focus_ingest')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(expression, pattern) -%}
    {#- Spark SQL (Java regex): `$` also matches before a final line break, so `'1.5' || chr(10)` would
        pass; the lookahead for any character (line breaks included) anchors at the very end. -#}
    ({{ expression }} rlike '^({{ pattern }})$(?!(?s:.))')
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}
