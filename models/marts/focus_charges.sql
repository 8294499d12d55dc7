-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# A view: int_focus__charges stores the rows, typed and incrementally, by column key; this names the
    current ones. It keeps superseded versions' rows until vacuum, so the join to the accepted versions
    is what leaves them out. #}
{%- set focus_columns = focus_column_specs() | selectattr('dataset', 'equalto', 'CostAndUsage') | list -%}

with

charges as (
    select * from {{ ref('int_focus__charges') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

final as (
    select
        {%- for column in focus_columns %}
        charges.{{ column.column_key }} as {{ column.column_id }},
        {%- endfor %}
        charges.data_source_id as x_DataSourceId,
        {{ sub_account_data_source_id(
            'charges.data_source_id',
            'charges.sub_account_id',
        ) }} as x_SubAccountDataSourceId,
        charges.key as x_SourceFile,
        charges.billing_month as x_BillingMonth
    from charges
    inner join accepted_files
        on charges.validation_id = accepted_files.validation_id
)

select * from final
