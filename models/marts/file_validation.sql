with

file_verdicts as (
    select * from {{ ref('int_focus__file_verdicts') }}
),

final as (
    select
        data_source_id,
        key,
        etag,
        billing_month,
        status,
        dataset,
        focus_versions,
        row_count,
        error_count,
        warning_count,
        first_error
    from file_verdicts
)

select * from final
