{#- The report's chart keeps the largest series of a currency apart and sums the rest as "Other": the
    grouping (macro report_chart_slots, shared with report_costs_by_service) lives in the marts so that
    every consumer sees the same top N. -#}

with

costs_monthly as (
    select * from {{ ref('costs_monthly') }}
),

data_sources as (
    select * from {{ ref('data_sources') }}
),

costs_summed as (
    select
        BillingCurrency,
        x_BillingMonth,
        x_DataSourceId,
        sum(BilledCost) as BilledCost,
        sum(EffectiveCost) as EffectiveCost,
        cast(sum(x_ChargeCount) as {{ dbt.type_bigint() }}) as x_ChargeCount
    from costs_monthly
    group by BillingCurrency, x_BillingMonth, x_DataSourceId
),

series_named as (
    select
        costs_summed.*,
        coalesce(data_sources.parent_id, costs_summed.x_DataSourceId) as x_ParentDataSourceId,
        data_sources.sub_account_id as x_SubAccountId,
        case when data_sources.parent_id is not null then data_sources.name end as x_SubAccountName
    from costs_summed
    left join data_sources
        on data_sources.data_source_id = costs_summed.x_DataSourceId
),

chart_slots_assigned as (
    {{ report_chart_slots('series_named', 'x_DataSourceId') }}
),

chart_series_labelled as (
    select
        BillingCurrency,
        x_BillingMonth,
        x_DataSourceId,
        x_ParentDataSourceId,
        x_SubAccountId,
        x_SubAccountName,
        BilledCost,
        EffectiveCost,
        x_ChargeCount,
        x_SeriesRank,
        x_ChartSlot,
        x_IsOtherSeries,
        case
            when x_IsOtherSeries
                then {{ dbt.concat(["'Other ('", "cast(x_OtherSeriesCount as " ~ dbt.type_string() ~ ")", "' sub-accounts)'"]) }}
            when x_SubAccountName is null
                then {{ dbt.concat(["x_ParentDataSourceId", "' (no sub-account)'"]) }}
            else {{ dbt.concat(["x_ParentDataSourceId", "' / '", "x_SubAccountName"]) }}
        end as x_ChartSeries
    from chart_slots_assigned
),

final as (
    select * from chart_series_labelled
)

select * from final
