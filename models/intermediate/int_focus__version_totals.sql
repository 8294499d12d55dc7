{# The month history's record of every accepted file version: its sums per ServiceName x SubAccountId x
    BillingCurrency, added once when a build first sees the version accepted and never changed or
    deleted afterwards (macro focus_history_config: also kept by --full-refresh and `vacuum`). The
    history needs it because the verdicts of superseded versions and, after `vacuum`, their charges
    are gone. Keyed by the version (data source, key, etag), not by validation_id, which changes with
    the project's fingerprint. A version without charges (a header-only file) gets one row with null
    dimensions and zero sums, so that it still counts as an accepted file of its month. #}
{{ config(**focus_history_config()) }}

with

charge_totals as (
    select * from {{ ref('int_focus__charge_totals') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

versions_to_add as (
    select
        accepted_files.data_source_id,
        accepted_files.key,
        accepted_files.etag,
        accepted_files.billing_month,
        accepted_files.run_id as load_id,
        accepted_files.validation_id
    from accepted_files
    {%- if is_incremental() %}
    where not exists (
        select 1
        from {{ this }} as recorded
        where recorded.data_source_id = accepted_files.data_source_id
            and recorded.key = accepted_files.key
            and recorded.etag = accepted_files.etag
    )
    {%- endif %}
),

totals_summed as (
    select
        versions_to_add.data_source_id,
        versions_to_add.key,
        versions_to_add.etag,
        versions_to_add.billing_month,
        versions_to_add.load_id,
        charge_totals.service_name,
        charge_totals.sub_account_id,
        charge_totals.billing_currency,
        cast(coalesce(sum(charge_totals.billed_cost), 0) as {{ focus_decimal_type() }}) as billed_cost,
        cast(coalesce(sum(charge_totals.effective_cost), 0) as {{ focus_decimal_type() }}) as effective_cost,
        cast(coalesce(sum(charge_totals.charge_count), 0) as {{ dbt.type_bigint() }}) as charge_count
    from versions_to_add
    left join charge_totals
        on versions_to_add.validation_id = charge_totals.validation_id
    group by
        versions_to_add.data_source_id,
        versions_to_add.key,
        versions_to_add.etag,
        versions_to_add.billing_month,
        versions_to_add.load_id,
        charge_totals.service_name,
        charge_totals.sub_account_id,
        charge_totals.billing_currency
),

final as (
    select * from totals_summed
)

select * from final
