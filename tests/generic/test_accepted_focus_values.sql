{% test accepted_focus_values(model, column_name, focus_column_id) %}
{#- Every value is a canonical FOCUS value of the column (seed focus_allowed_values, all profiles). #}
select {{ column_name }} as unexpected_value, count(*) as occurrences
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select canonical_value
        from {{ ref('focus_allowed_values') }}
        where column_id = '{{ focus_column_id }}'
    )
group by {{ column_name }}
{% endtest %}
