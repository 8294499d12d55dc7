-- int_focus__rows_parsed emits one issue code per check and row; int_focus__row_check_results counts
-- the codes of each check's catalogue rules (macro focus_checks). A code outside them would not be
-- counted, so a bad file could be accepted: any such row stops the build.
with

row_check_results as (
    select * from {{ ref('int_focus__row_check_results') }}
),

final as (
    select distinct
        validation_id,
        data_source_id,
        key,
        uncounted_issue_count
    from row_check_results
    where uncounted_issue_count > 0
)

select * from final
