{% macro focus_incremental_config(current_validations, stored_rows, expected_rows) -%}
    {#- The config of the models that are incremental by file version (validation_id), called in their
        config() block: each adapter gets a strategy it implements (docs/design/scale-out.md §3.3).
        Superseded versions' rows stay until `focus-ingest vacuum`; readers join the current ones.
        The arguments say when a validation_id is complete in the model (macro complete_validations):
        current_validations names the model of the current ids, stored_rows an aggregate over the
        model's rows of one id, expected_rows what it must equal (a column of current_validations). -#}
    {{ return(adapter.dispatch('focus_incremental_config', 'focus_ingest')(
        current_validations, stored_rows, expected_rows
    )) }}
{%- endmacro %}

{% macro default__focus_incremental_config(current_validations, stored_rows, expected_rows) -%}
    {#- Spark on Parquet: one partition per file version; a rerun overwrites an incomplete one whole, so
        nothing is deleted first. Compiled only so far: the Spark target is run in a later stage. -#}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['validation_id'],
        'file_format': 'parquet',
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}

{% macro duckdb__focus_incremental_config(current_validations, stored_rows, expected_rows) -%}
    {#- DuckDB has no insert_overwrite: append, one transaction with its pre-hook. An append of an
        incomplete id would keep its leftover rows beside the new ones, so the pre-hook first deletes the
        rows of current ids that are incomplete (a build killed half-way, rows lost); the model then adds
        them whole. Complete ids and superseded ones are not touched. -#}
    {%- set arguments = [current_validations, stored_rows, expected_rows] -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'append_new_columns',
        'pre_hook': "{{ delete_incomplete_validations('" ~ arguments | join("', '") ~ "') }}",
    }) }}
{%- endmacro %}
