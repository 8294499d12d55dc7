{# One row per data source: its location and profile as its latest completed load recorded them. #}
with

recorded_data_sources as (
    select * from {{ ref('stg_focus__data_sources') }}
),

completed_loads as (
    select * from {{ ref('stg_focus__completed_loads') }}
),

loads_ranked as (
    select
        recorded_data_sources.*,
        row_number() over (
            partition by recorded_data_sources.data_source_id
            order by cast(recorded_data_sources.load_id as decimal(24, 10)) desc
        ) as recency
    from recorded_data_sources
    inner join completed_loads
        on recorded_data_sources.load_id = completed_loads.load_id
),

profiles_resolved as (
    select
        data_source_id,
        location,
        {%- if var('focus_profile') %}
        '{{ var('focus_profile') }}' as profile,
        {%- else %}
        coalesce(nullif(profile, ''), 'any') as profile,
        {%- endif %}
        run_id as last_run_id,
        recorded_at as last_run_at,
        load_id
    from loads_ranked
    where recency = 1
),

final as (
    select * from profiles_resolved
)

select * from final
