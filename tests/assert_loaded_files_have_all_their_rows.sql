-- A loaded file version must have exactly the rows the manifest counted in raw.focus_rows; otherwise
-- a file would be judged (and could be accepted) on part of its rows.
with

files as (
    select * from {{ ref('stg_focus__files') }}
),

focus_rows as (
    select * from {{ ref('stg_focus__rows') }}
),

rows_counted as (
    select
        data_source_id,
        key,
        etag,
        count(*) as rows_in_raw
    from focus_rows
    group by data_source_id, key, etag
),

final as (
    select
        files.data_source_id,
        files.key,
        files.etag,
        files.row_count,
        coalesce(rows_counted.rows_in_raw, 0) as rows_in_raw
    from files
    left join rows_counted
        on files.data_source_id = rows_counted.data_source_id
        and files.key = rows_counted.key
        and files.etag = rows_counted.etag
    where files.status = 'loaded'
        and coalesce(files.row_count, -1) <> coalesce(rows_counted.rows_in_raw, 0)
)

select * from final
