-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# A view: int_focus__charges stores the rows, typed and incrementally, in the columns some file carried;
    this names them and adds the other FOCUS columns as typed nulls. #}
{%- set focus_columns = focus_column_specs() | selectattr('dataset', 'equalto', 'CostAndUsage') | list -%}
{%- set stored_columns = relation_column_names(ref('int_focus__charges')) -%}

with

charges as (
    select * from {{ ref('int_focus__charges') }}
),

final as (
    select
        {%- for column in focus_columns %}
        {{ source_column_or_null('charges', column.column_key, stored_columns, focus_stored_type(column)) }}
            as {{ column.column_id }},
        {%- endfor %}
        charges.data_source_id as x_DataSourceId,
        {{ sub_account_data_source_id(
            'charges.data_source_id',
            source_column_or_null('charges', 'sub_account_id', stored_columns),
        ) }} as x_SubAccountDataSourceId,
        charges.key as x_SourceFile,
        charges.billing_month as x_BillingMonth
    from charges
)

select * from final
