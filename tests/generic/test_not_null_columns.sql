{% test not_null_columns(model, columns) %}
{#- not_null for several columns in one test (each test is a node and a query of its own): one row per
    column that holds nulls, with how many. #}
{%- for column in columns %}
select
    '{{ column }}' as column_name,
    count(*) as null_rows
from {{ model }}
where {{ column }} is null
having count(*) > 0
{%- if not loop.last %}

union all
{% endif %}
{%- endfor %}
{% endtest %}
