{% macro profile_in(profile_expression, profiles) -%}
    {#- `profile in (...)` for a list known at compile time; `false` for an empty list, which SQL does
        not allow in an IN list. -#}
    {%- if profiles | length == 0 -%}
        false
    {%- else -%}
        {{ profile_expression }} in ({% for profile in profiles %}'{{ profile }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}
