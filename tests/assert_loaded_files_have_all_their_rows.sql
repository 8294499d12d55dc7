-- A loaded file version must have been checked on exactly the rows the manifest counted, numbered 1 to n
-- by the loader; otherwise a file would be judged (and could be accepted) on part of its rows. The
-- counts come from int_focus__row_check_results, which counts each file version's rows once, when it
-- checks them, instead of this test counting every raw row on every build.
with

files as (
    select * from {{ ref('int_focus__files') }}
),

row_check_results as (
    select * from {{ ref('int_focus__row_check_results') }}
),

rows_checked as (
    select distinct
        validation_id,
        rows_checked,
        last_row_number
    from row_check_results
),

final as (
    select
        files.data_source_id,
        files.key,
        files.etag,
        files.row_count,
        rows_checked.rows_checked,
        rows_checked.last_row_number
    from files
    left join rows_checked
        on files.validation_id = rows_checked.validation_id
    where coalesce(files.row_count, -1) <> coalesce(rows_checked.rows_checked, -1)
        or coalesce(files.row_count, -1) <> coalesce(rows_checked.last_row_number, 0)
)

select * from final
