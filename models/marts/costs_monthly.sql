with

charges as (
    select * from {{ ref('focus_charges') }}
),

costs_summed as (
    select
        x_BillingMonth,
        coalesce(x_SubAccountDataSourceId, x_DataSourceId) as x_DataSourceId,
        ProviderName,
        ServiceCategory,
        ServiceName,
        ChargeCategory,
        BillingCurrency,
        sum(BilledCost) as BilledCost,
        sum(EffectiveCost) as EffectiveCost,
        sum(ListCost) as ListCost,
        sum(ContractedCost) as ContractedCost,
        count(*) as x_ChargeCount
    from charges
    group by
        x_BillingMonth,
        coalesce(x_SubAccountDataSourceId, x_DataSourceId),
        ProviderName,
        ServiceCategory,
        ServiceName,
        ChargeCategory,
        BillingCurrency
),

final as (
    select * from costs_summed
)

select * from final
