{% macro focus_null_literals_removed(text, is_lenient) -%}
    {#- Exports write a missing value as an empty field or as the literal NULL: both are null. Lenient
        profiles (is_lenient: a boolean SQL expression) also read `null`, `Null` and other spellings
        as null, which int_focus__rows_parsed reports as lenient_null. -#}
    case
        when {{ text }} = '' or {{ text }} = 'NULL' then null
        when {{ is_lenient }} and lower({{ text }}) = 'null' then null
        else {{ text }}
    end
{%- endmacro %}
