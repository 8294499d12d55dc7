{# Cost sums per accepted file version, for costs_monthly and data_sources: summing these few rows
    instead of every charge keeps both marts cheap to rebuild. Incremental by file version like
    int_focus__charges: a version is complete when its charge_count sums to its row_count. Superseded
    versions' rows stay, also after `focus-ingest vacuum` (month history will be built from them);
    readers join int_focus__accepted_files on validation_id. Decimal sums are exact, so summing the sums
    gives what summing the charges would. #}
{%- set dimension_keys = ['sub_account_id', 'sub_account_name', 'provider_name', 'service_category', 'service_name',
    'charge_category', 'billing_currency'] -%}
{%- set cost_keys = ['billed_cost', 'effective_cost', 'list_cost', 'contracted_cost'] -%}
{%- set completeness = ['int_focus__accepted_files', 'sum(charge_count)', 'current_validations.row_count'] -%}
{{ config(**focus_incremental_config(*completeness)) }}

with

charges as (
    select * from {{ ref('int_focus__charges') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

files_to_add as (
    select validation_id
    from accepted_files
    where row_count > 0
    {%- if is_incremental() %}
        and validation_id not in ({{ complete_validations(this, *completeness) }})
    {%- endif %}
),

charges_to_add as (
    select
        charges.validation_id,
        charges.billing_month,
        charges.data_source_id,
        {%- for column_key in dimension_keys %}
        charges.{{ column_key }},
        {%- endfor %}
        {%- for column_key in cost_keys %}
        charges.{{ column_key }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from charges
    inner join files_to_add
        on charges.validation_id = files_to_add.validation_id
),

costs_summed as (
    select
        validation_id,
        billing_month,
        data_source_id,
        {%- for column_key in dimension_keys %}
        {{ column_key }},
        {%- endfor %}
        {%- for column_key in cost_keys %}
        sum({{ column_key }}) as {{ column_key }},
        {%- endfor %}
        count(*) as charge_count
    from charges_to_add
    group by validation_id, billing_month, data_source_id, {{ dimension_keys | join(', ') }}
),

final as (
    select * from costs_summed
)

select * from final
