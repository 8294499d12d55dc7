{% macro focus_value_type(column) -%}
    {#- The SQL type of a FOCUS column's typed value: Decimal as focus_decimal_type(), Date/Time as a
        timestamp holding UTC, text otherwise (JSON stays text). -#}
    {%- if column.data_type == 'Decimal' -%}
        {{ focus_decimal_type() }}
    {%- elif column.data_type == 'Date/Time' -%}
        {{ dbt.type_timestamp() }}
    {%- else -%}
        {{ dbt.type_string() }}
    {%- endif -%}
{%- endmacro %}
