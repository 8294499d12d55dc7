-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# The rows of accepted FOCUS ContractCommitment files (1.3+), typed like the charges, under their FOCUS
    names. A table rebuilt in full: such files hold one row per commitment, not per charge. #}
{%- set commitment_ids = focus_reference()['focus_profile_columns']
    | selectattr('profile', 'equalto', 'any/ContractCommitment') | map(attribute='column_id') | list -%}
{%- set commitment_columns = focus_column_specs() | selectattr('column_id', 'in', commitment_ids) | list -%}

with

focus_rows as (
    select * from {{ ref('int_focus__current_rows') }}
),

files as (
    select * from {{ ref('int_focus__files') }}
),

file_verdicts as (
    select * from {{ ref('int_focus__file_verdicts') }}
),

allowed_values as (
    select * from {{ ref('focus_allowed_values') }}
),

accepted_files as (
    select files.*
    from files
    inner join file_verdicts
        on files.data_source_id = file_verdicts.data_source_id
        and files.key = file_verdicts.key
        and files.etag = file_verdicts.etag
    where file_verdicts.status = 'accepted'
        and files.dataset = 'ContractCommitment'
),

rows_of_accepted_files as (
    select
        accepted_files.profile,
        accepted_files.is_lenient,
        focus_rows.data_source_id,
        focus_rows.key,
        focus_rows.billing_month,
        focus_rows.source_row_number,
        {%- for column in commitment_columns %}
        {{ focus_null_literals_removed(focus_source_value(column, 'focus_rows', 'accepted_files'), 'accepted_files.is_lenient') }}
            as {{ column.column_key }}__text{% if not loop.last %},{% endif %}
        {%- endfor %}
    from focus_rows
    inner join accepted_files
        on focus_rows.data_source_id = accepted_files.data_source_id
        and focus_rows.key = accepted_files.key
        and focus_rows.etag = accepted_files.etag
),

values_typed as (
    select
        {%- for column in commitment_columns %}
        {{ focus_typed_value(
            column,
            'rows_of_accepted_files.' ~ column.column_key ~ '__text',
            'allowed_' ~ column.column_key ~ '.canonical_value',
        ) }} as {{ column.column_id }},
        {%- endfor %}
        rows_of_accepted_files.data_source_id as x_DataSourceId,
        rows_of_accepted_files.key as x_SourceFile,
        rows_of_accepted_files.billing_month as x_BillingMonth,
        rows_of_accepted_files.source_row_number as x_SourceRowNumber
    from rows_of_accepted_files
    {%- for column in commitment_columns | selectattr('enumerated_profiles') %}
    {{ allowed_value_join(column, 'rows_of_accepted_files', 'allowed_values') }}
    {%- endfor %}
),

final as (
    select * from values_typed
)

select * from final
