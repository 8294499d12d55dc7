{% macro delete_incomplete_validations(current_validations, stored_rows, expected_rows) -%}
    {#- DuckDB pre-hook of the models incremental by file version (macro focus_incremental_config): deletes
        the rows of current validation ids that are present but not complete, so that the append that
        follows, in the same transaction, adds each of them whole and once. Nothing on a full build. -#}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where validation_id in (select validation_id from {{ ref(current_validations) }})
        and validation_id not in (
            {{ complete_validations(this, current_validations, stored_rows, expected_rows) }}
        )
    {%- endif -%}
{%- endmacro %}
