{% macro focus_source_value(column, rows_alias, files_alias) -%}
    {#- The raw text of a FOCUS column in a row: its own raw column, or the alias header the file's
        profile reads for it (int_focus__files.<column_key>__source_key). -#}
    {%- if column.alias_keys -%}
    case {{ files_alias }}.{{ column.column_key }}__source_key
        {%- for alias_key in column.alias_keys %}
        when '{{ alias_key }}' then {{ rows_alias }}.{{ alias_key }}
        {%- endfor %}
        else {{ rows_alias }}.{{ column.column_key }}
    end
    {%- else -%}
    {{ rows_alias }}.{{ column.column_key }}
    {%- endif -%}
{%- endmacro %}
