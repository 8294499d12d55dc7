{% test has_matching_rows(model, to, columns) %}
{#- Relationships over several columns: every combination in the model exists in `to`. #}
select child.*
from {{ model }} as child
where not exists (
    select 1
    from {{ to }} as parent
    where {% for column in columns %}parent.{{ column }} = child.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{% endtest %}
