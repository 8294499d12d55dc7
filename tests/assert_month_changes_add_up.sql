-- Per month version after the first and per currency, the differences of marts.month_changes must add
-- up, exactly, to the change of the month's total between that version and the one before it in
-- marts.month_versions (a currency missing on one side counts as zero). Returns the versions that do not.
with

month_versions as (
    select * from {{ ref('month_versions') }}
),

month_changes as (
    select * from {{ ref('month_changes') }}
),

currency_totals_selected as (
    select
        data_source_id,
        billing_month,
        version_number,
        billing_currency,
        billed_cost,
        effective_cost
    from month_versions
    where billing_currency is not null
),

totals_moved as (
    select
        coalesce(after_totals.data_source_id, before_totals.data_source_id) as data_source_id,
        coalesce(after_totals.billing_month, before_totals.billing_month) as billing_month,
        coalesce(after_totals.version_number, before_totals.version_number + 1) as version_number,
        coalesce(after_totals.billing_currency, before_totals.billing_currency) as billing_currency,
        coalesce(after_totals.billed_cost, 0) - coalesce(before_totals.billed_cost, 0) as billed_cost_change,
        coalesce(after_totals.effective_cost, 0) - coalesce(before_totals.effective_cost, 0) as effective_cost_change
    from currency_totals_selected as after_totals
    full outer join currency_totals_selected as before_totals
        on after_totals.data_source_id = before_totals.data_source_id
        and after_totals.billing_month = before_totals.billing_month
        and after_totals.version_number = before_totals.version_number + 1
        and after_totals.billing_currency = before_totals.billing_currency
),

later_versions_selected as (
    select distinct
        data_source_id,
        billing_month,
        version_number
    from month_versions
    where version_number > 1
),

changes_summed as (
    select
        data_source_id,
        billing_month,
        version_number,
        billing_currency,
        sum(billed_cost_change) as billed_cost_change,
        sum(effective_cost_change) as effective_cost_change
    from month_changes
    group by data_source_id, billing_month, version_number, billing_currency
),

final as (
    select
        totals_moved.data_source_id,
        totals_moved.billing_month,
        totals_moved.version_number,
        totals_moved.billing_currency,
        totals_moved.billed_cost_change as month_billed_cost_change,
        changes_summed.billed_cost_change as summed_billed_cost_change
    from totals_moved
    inner join later_versions_selected
        on totals_moved.data_source_id = later_versions_selected.data_source_id
        and totals_moved.billing_month = later_versions_selected.billing_month
        and totals_moved.version_number = later_versions_selected.version_number
    left join changes_summed
        on totals_moved.data_source_id = changes_summed.data_source_id
        and totals_moved.billing_month = changes_summed.billing_month
        and totals_moved.version_number = changes_summed.version_number
        and totals_moved.billing_currency = changes_summed.billing_currency
    where totals_moved.billed_cost_change <> coalesce(changes_summed.billed_cost_change, 0)
        or totals_moved.effective_cost_change <> coalesce(changes_summed.effective_cost_change, 0)
)

select * from final
