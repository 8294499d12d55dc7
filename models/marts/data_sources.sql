with

configured_data_sources as (
    select * from {{ ref('int_focus__data_sources') }}
),

file_verdicts as (
    select * from {{ ref('int_focus__file_verdicts') }}
),

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

{#- A data source removed from the configuration keeps its files in the manifest; it stays listed so
    that every charge keeps its parent. #}
parent_ids as (
    select data_source_id from configured_data_sources
    union
    select data_source_id from file_verdicts
),

parent_months as (
    select
        data_source_id,
        min(billing_month) as first_billing_month,
        max(billing_month) as last_billing_month
    from file_verdicts
    where status = 'accepted'
    group by data_source_id
),

parents as (
    select
        parent_ids.data_source_id,
        cast(null as {{ dbt.type_string() }}) as parent_id,
        parent_ids.data_source_id as name,
        cast(null as {{ dbt.type_string() }}) as sub_account_id,
        parent_months.first_billing_month,
        parent_months.last_billing_month
    from parent_ids
    left join parent_months
        on parent_ids.data_source_id = parent_months.data_source_id
),

sub_account_months as (
    select
        {{ sub_account_data_source_id('data_source_id', 'sub_account_id') }} as data_source_id,
        data_source_id as parent_id,
        sub_account_id,
        billing_month,
        max(sub_account_name) as sub_account_name
    from current_charge_totals
    where sub_account_id is not null
    group by data_source_id, sub_account_id, billing_month
),

sub_account_names_ranked as (
    select
        *,
        {#- The name of the latest month that has one: sub-accounts get renamed. #}
        row_number() over (
            partition by data_source_id
            order by case when sub_account_name is null then 1 else 0 end, billing_month desc
        ) as name_rank
    from sub_account_months
),

latest_sub_account_names as (
    select
        data_source_id,
        sub_account_name
    from sub_account_names_ranked
    where name_rank = 1
),

sub_account_spans as (
    select
        data_source_id,
        parent_id,
        sub_account_id,
        min(billing_month) as first_billing_month,
        max(billing_month) as last_billing_month
    from sub_account_months
    group by data_source_id, parent_id, sub_account_id
),

children as (
    select
        sub_account_spans.data_source_id,
        sub_account_spans.parent_id,
        coalesce(latest_sub_account_names.sub_account_name, sub_account_spans.sub_account_id) as name,
        sub_account_spans.sub_account_id,
        sub_account_spans.first_billing_month,
        sub_account_spans.last_billing_month
    from sub_account_spans
    left join latest_sub_account_names
        on sub_account_spans.data_source_id = latest_sub_account_names.data_source_id
),

final as (
    select * from parents
    union all
    select * from children
)

select * from final
