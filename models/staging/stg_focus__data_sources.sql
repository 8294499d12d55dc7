with

configured_data_sources as (
    select * from {{ source('raw', 'data_sources') }}
),

profiles_resolved as (
    select
        data_source as data_source_id,
        location,
        {%- if var('focus_profile') %}
        '{{ var('focus_profile') }}' as profile,
        {%- else %}
        coalesce(nullif(profile, ''), 'any') as profile,
        {%- endif %}
        last_run_id,
        last_run_at
    from configured_data_sources
),

final as (
    select * from profiles_resolved
)

select * from final
