{% macro focus_stored_type(column) -%}
    {#- The type a FOCUS column has in the marts: Date/Time as a time-zone-aware timestamp and JSON as the
        engine's JSON type where it has them (focus_utc_timestamp_type, focus_json_type), else as
        focus_value_type(). -#}
    {%- if column.data_type == 'Date/Time' -%}
        {{ focus_utc_timestamp_type() }}
    {%- elif column.data_type == 'JSON' -%}
        {{ focus_json_type() }}
    {%- else -%}
        {{ focus_value_type(column) }}
    {%- endif -%}
{%- endmacro %}
