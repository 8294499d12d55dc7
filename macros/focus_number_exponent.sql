{% macro focus_number_exponent(text) -%}
    {#- The E-notation exponent of a well-formed number, 0 without one; null when it overflows an integer
        (such a value cannot fit a decimal either). -#}
    case
        when regexp_extract({{ text }}, '[eE]([+-]?[0-9]+)$', 1) = '' then 0
        else {{ focus_try_cast("regexp_extract(" ~ text ~ ", '[eE]([+-]?[0-9]+)$', 1)", 'integer') }}
    end
{%- endmacro %}
