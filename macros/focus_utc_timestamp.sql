{% macro focus_utc_timestamp(timestamp_value) -%}
    {{ return(adapter.dispatch('focus_utc_timestamp', 'focus_ingest')(timestamp_value)) }}
{%- endmacro %}

{% macro default__focus_utc_timestamp(timestamp_value) -%}
    {#- Spark: the cast of a UTC text already gives the instant. -#}
    {{ timestamp_value }}
{%- endmacro %}

{% macro duckdb__focus_utc_timestamp(timestamp_value) -%}
    {#- A timestamp holding UTC as a TIMESTAMPTZ, whatever the session's TimeZone. -#}
    timezone('UTC', {{ timestamp_value }})
{%- endmacro %}
