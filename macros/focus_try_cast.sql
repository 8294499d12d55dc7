{% macro focus_try_cast(expression, data_type) -%}
    {#- The value in data_type, or null when it does not convert. Not dbt.safe_cast, which is a plain cast
        on DuckDB and Spark: under Spark's ANSI mode (on over Thrift, measured) a plain cast of a bad value
        stops the build instead of giving null. -#}
    {{ return(adapter.dispatch('focus_try_cast', 'focus_ingest')(expression, data_type)) }}
{%- endmacro %}

{% macro default__focus_try_cast(expression, data_type) -%}
    {#- DuckDB and Spark (>= 3.2) spell it the same; an engine without try_cast overrides this. -#}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}
