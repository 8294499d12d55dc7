-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# The rows of accepted files, typed; marts.focus_charges names them. Incremental by file version: only
    accepted versions whose validation_id is not complete here (row_count rows) are read. Superseded
    versions' rows stay until `focus-ingest vacuum`: readers join int_focus__accepted_files on
    validation_id. A partial version is redone whole: on DuckDB the config's pre-hook first deletes its
    leftover rows, on Spark its partition is overwritten (macro focus_incremental_config). Every value
    of an accepted file passed its format check, so it is typed without the checks
    int_focus__rows_parsed needs: one cast per value.
    Every Cost-and-Usage column is stored, null where a file did not carry it: an all-null column costs
    little, and the column list comes from the project's files, not from the database. #}
{%- set stored_columns = focus_column_specs() | selectattr('dataset', 'equalto', 'CostAndUsage') | list -%}
{#- Columns the spec's migration guidance makes equivalent fill each other (seed focus_column_fills:
    ProviderName and ServiceProviderName both ways, PublisherName from ServiceProviderName). #}
{%- set column_fills = focus_reference()['focus_column_fills'] -%}
{%- set enumerated_columns = stored_columns | selectattr('enumerated_profiles') | list -%}
{%- set completeness = ['int_focus__accepted_files', 'count(*)', 'current_validations.row_count'] -%}
{{ config(**focus_incremental_config(*completeness)) }}

with

focus_rows as (
    select * from {{ ref('int_focus__current_rows') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

allowed_values as (
    select * from {{ ref('focus_allowed_values') }}
),

files_to_add as (
    select *
    from accepted_files
    {#- A file without rows adds none; leaving it out spares looking for them on every build. #}
    where row_count > 0
    {%- if is_incremental() %}
        and validation_id not in ({{ complete_validations(this, *completeness) }})
    {%- endif %}
),

rows_to_add as (
    select
        files_to_add.validation_id,
        files_to_add.profile,
        files_to_add.is_lenient,
        focus_rows.data_source_id,
        focus_rows.key,
        {%- for column in stored_columns %}
        {{ focus_null_literals_removed(focus_source_value(column, 'focus_rows', 'files_to_add'), 'files_to_add.is_lenient') }}
            as {{ column.column_key }}__text,
        {%- endfor %}
        focus_rows.billing_month
    from focus_rows
    inner join files_to_add
        on focus_rows.data_source_id = files_to_add.data_source_id
        and focus_rows.key = files_to_add.key
        and focus_rows.etag = files_to_add.etag
),

values_typed as (
    select
        rows_to_add.validation_id,
        rows_to_add.data_source_id,
        rows_to_add.key,
        {%- for column in stored_columns %}
        {{ focus_typed_value(
            column,
            'rows_to_add.' ~ column.column_key ~ '__text',
            'allowed_' ~ column.column_key ~ '.canonical_value',
        ) }} as {{ column.column_key }},
        {%- endfor %}
        rows_to_add.billing_month
    from rows_to_add
    {%- for column in enumerated_columns %}
    {{ allowed_value_join(column, 'rows_to_add', 'allowed_values') }}
    {%- endfor %}
),

final as (
    select
        validation_id,
        data_source_id,
        key,
        {%- for column in stored_columns %}
        {%- set sources = column_fills | selectattr('column_id', 'equalto', column.column_id)
            | map(attribute='filled_from') | list %}
        {%- set value_keys = [column.column_key] %}
        {%- for source_column in stored_columns if source_column.column_id in sources %}
            {%- do value_keys.append(source_column.column_key) %}
        {%- endfor %}
        {%- set value = 'coalesce(' ~ value_keys | join(', ') ~ ')' if value_keys | length > 1 else column.column_key %}
        {{ focus_stored_value(column, value) }} as {{ column.column_key }},
        {%- endfor %}
        billing_month
    from values_typed
)

select * from final
