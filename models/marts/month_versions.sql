{# Every version of every month: a completed load that changed the month's accepted files makes one
    (int_focus__month_timeline). Its totals are the exact sums of its files' recorded totals
    (int_focus__version_totals), one row per billing currency; a version without charges (every file
    removed, rejected or empty) has one row with a null currency. #}
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

versions_made as (
    select
        data_source_id,
        billing_month,
        version_number,
        max(load_id) as load_id,
        max(run_id) as run_id,
        max(event_at) as versioned_at
    from month_timeline
    where change_kind is not null
    group by data_source_id, billing_month, version_number
),

versions_ranked as (
    select
        versions_made.*,
        max(version_number) over (partition by data_source_id, billing_month) as current_version_number
    from versions_made
),

file_charges_counted as (
    select
        data_source_id,
        key,
        etag,
        sum(charge_count) as charge_count
    from version_totals
    group by data_source_id, key, etag
),

files_counted as (
    select
        version_files.data_source_id,
        version_files.billing_month,
        version_files.version_number,
        count(*) as file_count,
        cast(sum(file_charges_counted.charge_count) as {{ dbt.type_bigint() }}) as charge_count
    from version_files
    inner join file_charges_counted
        on version_files.data_source_id = file_charges_counted.data_source_id
        and version_files.key = file_charges_counted.key
        and version_files.etag = file_charges_counted.etag
    group by version_files.data_source_id, version_files.billing_month, version_files.version_number
),

currency_totals_summed as (
    select
        version_files.data_source_id,
        version_files.billing_month,
        version_files.version_number,
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
        version_totals.billing_currency
),

final as (
    select
        versions_ranked.data_source_id,
        versions_ranked.billing_month,
        versions_ranked.version_number,
        versions_ranked.version_number = versions_ranked.current_version_number as is_current,
        versions_ranked.load_id,
        versions_ranked.run_id,
        versions_ranked.versioned_at,
        cast(coalesce(files_counted.file_count, 0) as {{ dbt.type_bigint() }}) as file_count,
        cast(coalesce(files_counted.charge_count, 0) as {{ dbt.type_bigint() }}) as charge_count,
        currency_totals_summed.billing_currency,
        cast(coalesce(currency_totals_summed.billed_cost, 0) as {{ focus_decimal_type() }}) as billed_cost,
        cast(coalesce(currency_totals_summed.effective_cost, 0) as {{ focus_decimal_type() }}) as effective_cost
    from versions_ranked
    left join files_counted
        on versions_ranked.data_source_id = files_counted.data_source_id
        and versions_ranked.billing_month = files_counted.billing_month
        and versions_ranked.version_number = files_counted.version_number
    left join currency_totals_summed
        on versions_ranked.data_source_id = currency_totals_summed.data_source_id
        and versions_ranked.billing_month = currency_totals_summed.billing_month
        and versions_ranked.version_number = currency_totals_summed.version_number
)

select * from final
