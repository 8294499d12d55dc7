{# The months a data source should have delivered and has not: after the data source's first month
    with an accepted file, a month that is due (var feed_due_days, default 5: due on the Nth day after
    its last day) by the as-of date of the latest completed run of any data source, and whose current
    version has no accepted file (none came, or every one was removed or rejected). The as-of date is
    the run's, not the build's clock, so a later rebuild does not invent missing months. #}
{%- set months_looked_at = 600 -%}
with

runs as (
    select * from {{ ref('stg_focus__runs') }}
),

completed_loads as (
    select * from {{ ref('stg_focus__completed_loads') }}
),

month_versions as (
    select * from {{ ref('month_versions') }}
),

completed_runs_ranked as (
    select
        runs.as_of,
        row_number() over (order by runs.load_order desc) as run_recency
    from runs
    inner join completed_loads
        on runs.load_id = completed_loads.load_id
),

latest_run_found as (
    select cast(as_of as {{ dbt.type_timestamp() }}) as as_of
    from completed_runs_ranked
    where run_recency = 1
),

months_delivered_found as (
    select distinct
        data_source_id,
        billing_month
    from month_versions
    where is_current and file_count > 0
),

first_months_found as (
    select
        data_source_id,
        cast({{ dbt.concat(['min(billing_month)', "'-01'"]) }} as {{ dbt.type_timestamp() }}) as first_month_start
    from month_versions
    where file_count > 0
    group by data_source_id
),

{#- The months after each first month, as many as months_looked_at (the query is no bigger for it). #}
later_months_generated as (
    select
        first_months_found.data_source_id,
        {{ dbt.dateadd('month', 'cast(month_offsets.generated_number as integer)', 'first_months_found.first_month_start') }}
            as month_start
    from first_months_found
    cross join ({{ dbt.generate_series(months_looked_at) }}) as month_offsets
),

months_due as (
    select
        later_months_generated.data_source_id,
        substring(cast(later_months_generated.month_start as {{ dbt.type_string() }}), 1, 7) as billing_month,
        {{ dbt.dateadd(
            'day',
            var('feed_due_days', 5) - 1,
            dbt.dateadd('month', 1, 'later_months_generated.month_start')
        ) }} as due_at,
        latest_run_found.as_of
    from later_months_generated
    cross join latest_run_found
),

final as (
    select
        months_due.data_source_id,
        months_due.billing_month,
        cast(months_due.due_at as date) as due_on,
        cast(months_due.as_of as date) as as_of
    from months_due
    left join months_delivered_found
        on months_due.data_source_id = months_delivered_found.data_source_id
        and months_due.billing_month = months_delivered_found.billing_month
    where months_due.due_at <= months_due.as_of
        and months_delivered_found.billing_month is null
)

select * from final
