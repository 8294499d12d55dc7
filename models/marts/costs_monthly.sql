with

charge_totals as (
    select * from {{ ref('int_focus__charge_totals') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

{#- int_focus__charge_totals keeps superseded versions' sums: the current ones only. #}
current_charge_totals as (
    select charge_totals.*
    from charge_totals
    inner join accepted_files
        on charge_totals.validation_id = accepted_files.validation_id
),

costs_summed as (
    select
        billing_month as x_BillingMonth,
        coalesce({{ sub_account_data_source_id('data_source_id', 'sub_account_id') }}, data_source_id) as x_DataSourceId,
        provider_name as ProviderName,
        service_category as ServiceCategory,
        service_name as ServiceName,
        charge_category as ChargeCategory,
        billing_currency as BillingCurrency,
        sum(billed_cost) as BilledCost,
        sum(effective_cost) as EffectiveCost,
        sum(list_cost) as ListCost,
        sum(contracted_cost) as ContractedCost,
        cast(sum(charge_count) as {{ dbt.type_bigint() }}) as x_ChargeCount
    from current_charge_totals
    group by
        billing_month,
        coalesce({{ sub_account_data_source_id('data_source_id', 'sub_account_id') }}, data_source_id),
        provider_name,
        service_category,
        service_name,
        charge_category,
        billing_currency
),

final as (
    select * from costs_summed
)

select * from final
