{% macro vacuum_superseded() -%}
    {#- `focus-ingest vacuum` (dbt run-operation): removes the rows of file versions that are no longer
        current from the models incremental by file version. Readers join the current versions, so no
        mart changes; it only gives the space back. int_focus__charge_totals keeps every version's sums:
        they are small, and month history will be built from them (issue 14). Logs one line,
        `vacuum_superseded: {"<model>": <rows removed>, ...}`, that the command reads. -#}
    {{ return(adapter.dispatch('vacuum_superseded', 'focus_ingest')()) }}
{%- endmacro %}

{% macro default__vacuum_superseded() -%}
    {#- Spark's plain Parquet tables have no DELETE: the design (docs/design/scale-out.md §3.4) overwrites
        or drops each superseded validation_id partition. Not written until it can be run. -#}
    {{ exceptions.raise_compiler_error(
        "vacuum on Spark is not implemented yet: superseded rows stay (every mart reads the current "
        ~ "versions only); run vacuum on a DuckDB database."
    ) }}
{%- endmacro %}

{% macro duckdb__vacuum_superseded() -%}
    {#- Each model with the model of its current validation ids; a model not built yet is skipped. The
        deletes run in one transaction: run-operation does not commit by itself. -#}
    {%- set vacuumed = [
        ('int_focus__row_check_results', 'int_focus__loaded_files'),
        ('int_focus__charges', 'int_focus__accepted_files'),
    ] -%}
    {%- set removed = {} -%}
    {%- for model_name, current_name in vacuumed -%}
        {%- set stored = load_relation(ref(model_name)) -%}
        {%- set current_validations = load_relation(ref(current_name)) -%}
        {%- if stored is not none and current_validations is not none -%}
            {%- set deleted = run_query(
                "delete from " ~ stored ~ " as kept where not exists (select 1 from " ~ current_validations
                ~ " as current_validations where current_validations.validation_id = kept.validation_id)"
            ) -%}
            {%- do removed.update({model_name: deleted.rows[0][0] | int}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {%- do log('vacuum_superseded: ' ~ tojson(removed), info=True) -%}
{%- endmacro %}
