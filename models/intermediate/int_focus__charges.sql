-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# The rows of accepted files, typed; marts.focus_charges names them. Incremental by file version: only
    accepted versions whose validation_id is not here yet are read; superseded ones are deleted first
    (pre-hook, see _intermediate.yml). Every value of an accepted file passed its format check, so it is
    typed without the checks int_focus__rows_parsed needs: one cast per value.
    Only the FOCUS columns some file has carried (a column of raw.focus_rows, itself or through an
    alias) are stored: every stored column costs a write per row, and the others are null in every
    row, which the view adds. A column that appears later is appended (on_schema_change), null for
    the rows already here, whose files did not carry it. #}
{%- set focus_columns = focus_column_specs() | selectattr('dataset', 'equalto', 'CostAndUsage') | list -%}
{%- set raw_columns = relation_column_names(source('raw', 'focus_rows')) -%}
{%- set carried_ids = [] -%}
{%- for column in focus_columns -%}
    {%- if ([column.column_key] + column.alias_keys) | select('in', raw_columns) | list -%}
        {%- do carried_ids.append(column.column_id) -%}
    {%- endif -%}
{%- endfor -%}
{#- Columns the spec's migration guidance makes equivalent fill each other (seed focus_column_fills:
    ProviderName and ServiceProviderName both ways, PublisherName from ServiceProviderName). #}
{%- set column_fills = focus_reference()['focus_column_fills'] -%}
{%- for fill in column_fills if fill.filled_from in carried_ids and fill.column_id not in carried_ids -%}
    {%- do carried_ids.append(fill.column_id) -%}
{%- endfor -%}
{%- set stored_columns = focus_columns | selectattr('column_id', 'in', carried_ids) | list -%}
{%- set enumerated_columns = stored_columns | selectattr('enumerated_profiles') | list -%}

with

focus_rows as (
    select * from {{ ref('stg_focus__rows') }}
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
        and validation_id not in (select validation_id from {{ this }})
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
            | map(attribute='filled_from') | select('in', carried_ids) | list %}
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
