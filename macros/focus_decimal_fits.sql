{% macro focus_decimal_fits(text) -%}
    {#- True when a well-formed number fits focus_decimal_type() exactly: casts would round extra
        decimals silently. Short values without exponent always fit, which keeps the regex work to the
        rare long ones. -#}
    case
        when length({{ text }}) <= 19 and {{ text }} not like '%e%' and {{ text }} not like '%E%' then true
        else coalesce(
            length(regexp_extract({{ text }}, '^[+-]?0*([0-9]*)', 1)) + {{ focus_number_exponent(text) }} <= 20
            and length(regexp_extract({{ text }}, '[.]([0-9]*[1-9])?0*([eE]|$)', 1)) - {{ focus_number_exponent(text) }} <= 18,
            false
        )
    end
{%- endmacro %}
