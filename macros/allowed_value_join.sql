{% macro allowed_value_join(column, rows_alias, allowed_values_relation) -%}
    {#- Left join of the allowed value matching an enumerated column's text (<column_key>__text) in the
        row's profile, as allowed_<column_key>: case-insensitive (match_key) in lenient profiles, exact
        otherwise. Its canonical_value is null when the text is not allowed. -#}
    left join {{ allowed_values_relation }} as allowed_{{ column.column_key }}
        on allowed_{{ column.column_key }}.column_id = '{{ column.column_id }}'
        and {{ rows_alias }}.profile = allowed_{{ column.column_key }}.profile
        and allowed_{{ column.column_key }}.match_key = case
            when {{ rows_alias }}.is_lenient then lower({{ rows_alias }}.{{ column.column_key }}__text)
            else {{ rows_alias }}.{{ column.column_key }}__text
        end
{%- endmacro %}
