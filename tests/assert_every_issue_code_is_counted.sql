-- int_focus__rows_parsed emits one issue code per check and row; int_focus__row_check_results counts
-- the codes of each check's catalogue rules (macro focus_checks). A code outside them would not be
-- counted, so a bad file could be accepted: any such row of a current file version stops the build
-- (superseded versions' rows stay until vacuum).
with

row_check_results as (
    select * from {{ ref('int_focus__row_check_results') }}
),

loaded_files as (
    select * from {{ ref('int_focus__loaded_files') }}
),

final as (
    select distinct
        row_check_results.validation_id,
        row_check_results.data_source_id,
        row_check_results.key,
        row_check_results.uncounted_issue_count
    from row_check_results
    inner join loaded_files
        on row_check_results.validation_id = loaded_files.validation_id
    where row_check_results.uncounted_issue_count > 0
)

select * from final
