{# What each new version of a month changed against the version before it: per child data source
    (the sub-account's, or the parent's for rows without SubAccountId) x ServiceName x BillingCurrency,
    the costs before and after and their difference, exact decimals (a group missing on one side counts
    as zero). Only groups whose costs changed are listed, so per version and currency the differences
    add up to the change of the month's total (test assert_month_changes_add_up). changed_files lists
    the version's file changes, e.g. "rewritten 2025-03/a.csv". #}
with

month_timeline as (
    select * from {{ ref('int_focus__month_timeline') }}
),

version_files as (
    select * from {{ ref('int_focus__month_version_files') }}
),

version_totals as (
    select * from {{ ref('int_focus__version_totals') }}
),

versions_changed as (
    select
        data_source_id,
        billing_month,
        version_number,
        {{ ordered_listagg(dbt.concat(['change_kind', "' '", 'key']), "', '", 'key') }} as changed_files
    from month_timeline
    where change_kind is not null and version_number > 1
    group by data_source_id, billing_month, version_number
),

group_totals_summed as (
    select
        version_files.data_source_id,
        version_files.billing_month,
        version_files.version_number,
        coalesce(
            {{ sub_account_data_source_id('version_totals.data_source_id', 'version_totals.sub_account_id') }},
            version_totals.data_source_id
        ) as sub_account_data_source_id,
        version_totals.service_name,
        version_totals.billing_currency,
        sum(version_totals.billed_cost) as billed_cost,
        sum(version_totals.effective_cost) as effective_cost
    from version_files
    inner join version_totals
        on version_files.data_source_id = version_totals.data_source_id
        and version_files.key = version_totals.key
        and version_files.etag = version_totals.etag
    where version_totals.charge_count > 0
    group by
        version_files.data_source_id,
        version_files.billing_month,
        version_files.version_number,
        coalesce(
            {{ sub_account_data_source_id('version_totals.data_source_id', 'version_totals.sub_account_id') }},
            version_totals.data_source_id
        ),
        version_totals.service_name,
        version_totals.billing_currency
),

{#- The totals of version n - 1, keyed as the version they precede. #}
previous_totals_shifted as (
    select
        data_source_id,
        billing_month,
        version_number + 1 as version_number,
        sub_account_data_source_id,
        service_name,
        billing_currency,
        billed_cost,
        effective_cost
    from group_totals_summed
),

totals_compared as (
    select
        coalesce(group_totals_summed.data_source_id, previous_totals_shifted.data_source_id) as data_source_id,
        coalesce(group_totals_summed.billing_month, previous_totals_shifted.billing_month) as billing_month,
        coalesce(group_totals_summed.version_number, previous_totals_shifted.version_number) as version_number,
        coalesce(group_totals_summed.sub_account_data_source_id, previous_totals_shifted.sub_account_data_source_id)
            as sub_account_data_source_id,
        coalesce(group_totals_summed.service_name, previous_totals_shifted.service_name) as service_name,
        coalesce(group_totals_summed.billing_currency, previous_totals_shifted.billing_currency) as billing_currency,
        coalesce(previous_totals_shifted.billed_cost, 0) as billed_cost_before,
        coalesce(group_totals_summed.billed_cost, 0) as billed_cost_after,
        coalesce(previous_totals_shifted.effective_cost, 0) as effective_cost_before,
        coalesce(group_totals_summed.effective_cost, 0) as effective_cost_after
    from group_totals_summed
    full outer join previous_totals_shifted
        on group_totals_summed.data_source_id = previous_totals_shifted.data_source_id
        and group_totals_summed.billing_month = previous_totals_shifted.billing_month
        and group_totals_summed.version_number = previous_totals_shifted.version_number
        and group_totals_summed.sub_account_data_source_id = previous_totals_shifted.sub_account_data_source_id
        and group_totals_summed.service_name = previous_totals_shifted.service_name
        and group_totals_summed.billing_currency = previous_totals_shifted.billing_currency
),

final as (
    select
        totals_compared.data_source_id,
        totals_compared.billing_month,
        totals_compared.version_number,
        totals_compared.sub_account_data_source_id,
        totals_compared.service_name,
        totals_compared.billing_currency,
        cast(totals_compared.billed_cost_before as {{ focus_decimal_type() }}) as billed_cost_before,
        cast(totals_compared.billed_cost_after as {{ focus_decimal_type() }}) as billed_cost_after,
        cast(totals_compared.billed_cost_after - totals_compared.billed_cost_before as {{ focus_decimal_type() }})
            as billed_cost_change,
        cast(totals_compared.effective_cost_before as {{ focus_decimal_type() }}) as effective_cost_before,
        cast(totals_compared.effective_cost_after as {{ focus_decimal_type() }}) as effective_cost_after,
        cast(totals_compared.effective_cost_after - totals_compared.effective_cost_before as {{ focus_decimal_type() }})
            as effective_cost_change,
        versions_changed.changed_files
    from totals_compared
    {#- Also drops the shifted totals of the current version, which precede no version. #}
    inner join versions_changed
        on totals_compared.data_source_id = versions_changed.data_source_id
        and totals_compared.billing_month = versions_changed.billing_month
        and totals_compared.version_number = versions_changed.version_number
    where totals_compared.billed_cost_before <> totals_compared.billed_cost_after
        or totals_compared.effective_cost_before <> totals_compared.effective_cost_after
)

select * from final
