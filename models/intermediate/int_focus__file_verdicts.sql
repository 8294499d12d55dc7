with

files as (
    select * from {{ ref('int_focus__file_statuses') }}
),

rule_results as (
    select * from {{ ref('int_focus__file_rule_results') }}
),

file_versions as (
    select * from {{ ref('int_focus__file_versions') }}
),

issues_counted as (
    select
        data_source_id,
        key,
        etag,
        cast(sum(case when severity = 'error' then issue_count else 0 end) as {{ dbt.type_bigint() }}) as error_count,
        cast(sum(case when severity = 'warning' then issue_count else 0 end) as {{ dbt.type_bigint() }})
            as warning_count
    from rule_results
    group by data_source_id, key, etag
),

errors_ranked as (
    select
        rule_results.*,
        row_number() over (
            partition by data_source_id, key, etag
            {#- File-level errors first, then the earliest row, then the rule catalogue's order. #}
            order by
                case when first_row_number is null then 0 else 1 end,
                first_row_number,
                rule_order,
                column_name
        ) as error_rank
    from rule_results
    where severity = 'error'
),

first_errors as (
    select
        errors_ranked.data_source_id,
        errors_ranked.key,
        errors_ranked.etag,
        {{ render_rule_message(
            'errors_ranked.message_template',
            'errors_ranked.column_name',
            'errors_ranked.issue_count',
            'errors_ranked.first_row_number',
            'errors_ranked.sample_1_value',
            'files.billing_month',
        ) }} as first_error
    from errors_ranked
    inner join files
        on errors_ranked.data_source_id = files.data_source_id
        and errors_ranked.key = files.key
        and errors_ranked.etag = files.etag
    where errors_ranked.error_rank = 1
),

verdicts as (
    select
        files.data_source_id,
        files.key,
        files.etag,
        files.billing_month,
        case
            when files.status = 'loaded' and coalesce(issues_counted.error_count, 0) > 0 then 'rejected'
            when files.status = 'loaded' then 'accepted'
            else files.status
        end as status,
        files.row_count,
        case
            when files.status in ('loaded', 'rejected') then coalesce(issues_counted.error_count, 0)
        end as error_count,
        case
            when files.status in ('loaded', 'rejected') then coalesce(issues_counted.warning_count, 0)
        end as warning_count,
        first_errors.first_error,
        file_versions.dataset,
        file_versions.focus_versions
    from files
    left join issues_counted
        on files.data_source_id = issues_counted.data_source_id
        and files.key = issues_counted.key
        and files.etag = issues_counted.etag
    left join first_errors
        on files.data_source_id = first_errors.data_source_id
        and files.key = first_errors.key
        and files.etag = first_errors.etag
    left join file_versions
        on files.data_source_id = file_versions.data_source_id
        and files.key = file_versions.key
        and files.etag = file_versions.etag
),

final as (
    select * from verdicts
)

select * from final
