{% test no_rows_from_rejected_files(model, column_name, file_validation, data_source_column) %}
{#- A file with any error is rejected whole: none of its rows may reach a mart. column_name holds the
    file key; matching on the key makes rows of an older version fail too when the key's current
    version is rejected. #}
select mart_rows.{{ data_source_column }}, mart_rows.{{ column_name }}, count(*) as rows_from_rejected_file
from {{ model }} as mart_rows
inner join {{ file_validation }} as files
    on mart_rows.{{ data_source_column }} = files.data_source_id
    and mart_rows.{{ column_name }} = files.key
where files.status = 'rejected'
group by mart_rows.{{ data_source_column }}, mart_rows.{{ column_name }}
{% endtest %}
