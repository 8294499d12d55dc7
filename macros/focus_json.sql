{% macro focus_json(text) -%}
    {{ return(adapter.dispatch('focus_json', 'focus_ingest')(text)) }}
{%- endmacro %}

{% macro default__focus_json(text) -%}
    {{ text }}
{%- endmacro %}

{% macro duckdb__focus_json(text) -%}
    {#- Only texts that passed json_format reach here, so the cast cannot fail. -#}
    cast({{ text }} as json)
{%- endmacro %}
