{% test accepted_focus_values(model, columns) %}
{#- Every value of each of the columns (named by FOCUS column id) is a canonical FOCUS value of that
    column (seed focus_allowed_values, all profiles); one test for all of them: one row per column and
    unexpected value. #}
{%- for column in columns %}
select
    '{{ column }}' as column_name,
    {{ column }} as unexpected_value,
    count(*) as occurrences
from {{ model }}
where {{ column }} is not null
    and {{ column }} not in (
        select canonical_value
        from {{ ref('focus_allowed_values') }}
        where column_id = '{{ column }}'
    )
group by {{ column }}
{%- if not loop.last %}

union all
{% endif %}
{%- endfor %}
{% endtest %}
