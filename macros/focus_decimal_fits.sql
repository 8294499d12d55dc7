{% macro focus_decimal_fits(text, part) -%}
    {#- Whether a well-formed number fits focus_decimal_type(): part 'integer' (at most 20 integer
        digits, else the value cannot be stored: decimal_format) or 'scale' (at most 18 significant
        decimals, else the cast rounds it to 18 places: rounded_number). Short values without
        exponent always fit, which keeps the regex work to the rare long ones. -#}
    case
        when length({{ text }}) <= 19 and {{ text }} not like '%e%' and {{ text }} not like '%E%' then true
        else coalesce(
            {%- if part == 'integer' %}
            length(regexp_extract({{ text }}, '^[+-]?0*([0-9]*)', 1)) + {{ focus_number_exponent(text) }} <= 20,
            {%- else %}
            length(regexp_extract({{ text }}, '[.]([0-9]*[1-9])?0*([eE]|$)', 1)) - {{ focus_number_exponent(text) }} <= 18,
            {%- endif %}
            false
        )
    end
{%- endmacro %}
