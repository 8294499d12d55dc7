{#- "Which services cost what": the report's costs per ServiceName, the largest of a currency on their own
    and the rest summed as "Other" (macro report_chart_slots, the grouping of report_costs_by_sub_account). -#}

with

costs_monthly as (
    select * from {{ ref('costs_monthly') }}
),

services_summed as (
    select
        BillingCurrency,
        x_BillingMonth,
        ServiceName,
        sum(BilledCost) as BilledCost,
        sum(EffectiveCost) as EffectiveCost,
        cast(sum(x_ChargeCount) as {{ dbt.type_bigint() }}) as x_ChargeCount
    from costs_monthly
    group by BillingCurrency, x_BillingMonth, ServiceName
),

chart_slots_assigned as (
    {{ report_chart_slots('services_summed', 'ServiceName') }}
),

service_groups_named as (
    select
        BillingCurrency,
        x_BillingMonth,
        x_ChartSlot,
        x_IsOtherSeries,
        case when not x_IsOtherSeries then ServiceName end as ServiceName,
        case
            when x_IsOtherSeries
                then {{ dbt.concat(["'Other ('", "cast(x_OtherSeriesCount as " ~ dbt.type_string() ~ ")", "' services)'"]) }}
            else ServiceName
        end as x_ChartSeries,
        BilledCost,
        EffectiveCost,
        x_ChargeCount
    from chart_slots_assigned
),

service_groups_summed as (
    select
        BillingCurrency,
        x_BillingMonth,
        x_ChartSlot,
        x_ChartSeries,
        x_IsOtherSeries,
        ServiceName,
        cast(count(*) as {{ dbt.type_bigint() }}) as x_ServiceCount,
        sum(BilledCost) as BilledCost,
        sum(EffectiveCost) as EffectiveCost,
        cast(sum(x_ChargeCount) as {{ dbt.type_bigint() }}) as x_ChargeCount
    from service_groups_named
    group by BillingCurrency, x_BillingMonth, x_ChartSlot, x_ChartSeries, x_IsOtherSeries, ServiceName
),

final as (
    select * from service_groups_summed
)

select * from final
