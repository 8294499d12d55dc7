{% macro focus_rule(rule) -%}
    {#- A rule id as an SQL string literal, for the checks that emit it; a rule that is not in the
        catalogue (seed validation_rules, through focus_reference) stops the compile, so no model can
        emit an issue code that is not counted and reported. -#}
    {%- if rule not in focus_reference()['validation_rules'] | map(attribute='rule') | list -%}
        {{ exceptions.raise_compiler_error("rule " ~ rule ~ " is not in seeds/validation_rules.csv") }}
    {%- endif -%}
    '{{ rule }}'
{%- endmacro %}
