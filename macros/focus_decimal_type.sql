{% macro focus_decimal_type() -%}
    {#- 20 integer and 18 fractional digits: exact for the 11-15 decimals real exports carry, and the
        widest decimal both DuckDB and Spark store. Values that do not fit are decimal_format errors. -#}
    decimal(38, 18)
{%- endmacro %}
