{% macro focus_typed_value(column, text, canonical_value) -%}
    {#- A FOCUS column's value in its type (focus_value_type): enumerated columns in canonical spelling
        (canonical_value: the matched allowed value, null when none), text as it is. Only for a text that
        passed the column's format check: int_focus__rows_parsed guards it with that check,
        int_focus__charges reads accepted files only, whose every value passed it. -#}
    {%- if column.data_type in ('Decimal', 'Date/Time') -%}
        {{ focus_try_cast(text, focus_value_type(column)) }}
    {%- elif column.enumerated_profiles -%}
        coalesce({{ canonical_value }}, {{ text }})
    {%- else -%}
        {{ text }}
    {%- endif -%}
{%- endmacro %}
