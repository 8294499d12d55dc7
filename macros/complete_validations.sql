{% macro complete_validations(stored, current_validations, stored_rows, expected_rows) -%}
    {#- A query of the current validation ids whose rows in `stored` are all there: stored_rows (an
        aggregate over one id's rows, e.g. count(*)) equals expected_rows (an expression over
        current_validations, the model named, e.g. current_validations.row_count). A partial id (a
        build or a copy cut short) is not complete, so the incremental models add it again; one with
        too many rows is not either. See macro focus_incremental_config. -#}
    select stored_counts.validation_id
    from (
        select
            validation_id,
            {{ stored_rows }} as stored_rows
        from {{ stored }}
        group by validation_id
    ) as stored_counts
    inner join {{ ref(current_validations) }} as current_validations
        on stored_counts.validation_id = current_validations.validation_id
    where stored_counts.stored_rows = {{ expected_rows }}
{%- endmacro %}
