{% test unique_combination_of_columns(model, combination_of_columns) %}
{#- Fails with each combination that occurs more than once (nulls compare equal, as in a key). #}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
