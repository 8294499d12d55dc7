-- The incremental models add a current file version only until it is complete, and keep superseded
-- versions' rows beside it: each current version must hold exactly its rows, once. One row per check rule
-- in int_focus__row_check_results, row_count charges in int_focus__charges, charge counts summing to
-- row_count in int_focus__charge_totals. A version cut short or doubled stops the build.
{%- set check_rule_count = focus_checks() | map(attribute='rules') | map('length') | sum %}

with

files as (
    select * from {{ ref('int_focus__files') }}
),

accepted_files as (
    select * from {{ ref('int_focus__accepted_files') }}
),

row_check_results as (
    select * from {{ ref('int_focus__row_check_results') }}
),

charges as (
    select * from {{ ref('int_focus__charges') }}
),

charge_totals as (
    select * from {{ ref('int_focus__charge_totals') }}
),

row_checks_stored as (
    select validation_id, count(*) as stored_rows
    from row_check_results
    group by validation_id
),

charges_stored as (
    select validation_id, count(*) as stored_rows
    from charges
    group by validation_id
),

charge_totals_stored as (
    select validation_id, sum(charge_count) as stored_rows
    from charge_totals
    group by validation_id
),

row_checks_compared as (
    select
        'int_focus__row_check_results' as model_name,
        files.validation_id,
        {{ check_rule_count }} as expected_rows,
        coalesce(row_checks_stored.stored_rows, 0) as stored_rows
    from files
    left join row_checks_stored
        on files.validation_id = row_checks_stored.validation_id
),

charges_compared as (
    select
        'int_focus__charges' as model_name,
        accepted_files.validation_id,
        coalesce(accepted_files.row_count, 0) as expected_rows,
        coalesce(charges_stored.stored_rows, 0) as stored_rows
    from accepted_files
    left join charges_stored
        on accepted_files.validation_id = charges_stored.validation_id
),

charge_totals_compared as (
    select
        'int_focus__charge_totals' as model_name,
        accepted_files.validation_id,
        coalesce(accepted_files.row_count, 0) as expected_rows,
        coalesce(charge_totals_stored.stored_rows, 0) as stored_rows
    from accepted_files
    left join charge_totals_stored
        on accepted_files.validation_id = charge_totals_stored.validation_id
),

all_compared as (
    select * from row_checks_compared
    union all
    select * from charges_compared
    union all
    select * from charge_totals_compared
),

final as (
    select *
    from all_compared
    where stored_rows <> expected_rows
)

select * from final
