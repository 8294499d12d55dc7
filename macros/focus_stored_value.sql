{% macro focus_stored_value(column, typed_value) -%}
    {#- A typed value (focus_typed_value: Date/Time as a timestamp holding UTC, JSON as text) in its mart
        type: the timestamp read as UTC, the text as JSON. -#}
    {%- if column.data_type == 'Date/Time' -%}
        {{ focus_utc_timestamp(typed_value) }}
    {%- elif column.data_type == 'JSON' -%}
        {{ focus_json(typed_value) }}
    {%- else -%}
        {{ typed_value }}
    {%- endif -%}
{%- endmacro %}
