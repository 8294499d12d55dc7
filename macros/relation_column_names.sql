{% macro relation_column_names(relation) %}
    {#- Lower-case names of the columns of an existing relation, for models whose columns follow it;
        empty at parse time, when there is no database to ask. -#}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do names.append(column.name | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(names) }}
{% endmacro %}
