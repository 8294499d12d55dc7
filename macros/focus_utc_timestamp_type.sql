{% macro focus_utc_timestamp_type() -%}
    {{ return(adapter.dispatch('focus_utc_timestamp_type')()) }}
{%- endmacro %}

{% macro default__focus_utc_timestamp_type() -%}
    {#- Spark's TIMESTAMP is an instant (shown in the session time zone). -#}
    timestamp
{%- endmacro %}

{% macro duckdb__focus_utc_timestamp_type() -%}
    timestamptz
{%- endmacro %}
