-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# A view: int_focus__charges stores the rows, typed and incrementally, by column key; this names them. #}
{%- set focus_columns = focus_column_specs() | selectattr('dataset', 'equalto', 'CostAndUsage') | list -%}

with

charges as (
    select * from {{ ref('int_focus__charges') }}
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
)

select * from final
