{% macro focus_number_form(text) -%}
    {#- 'focus' for FOCUS Numeric Format (optional minus, digits, decimals, E notation with an optional
        minus exponent), 'lenient' for forms profile `any` also reads (plus signs, bare decimal point),
        'invalid' for anything else; null for null. -#}
    case
        when {{ text }} is null then null
        when {{ regex_full_match(text, '-?[0-9]+([.][0-9]+)?([eE]-?[0-9]+)?') }} then 'focus'
        when {{ regex_full_match(text, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?') }} then 'lenient'
        else 'invalid'
    end
{%- endmacro %}
