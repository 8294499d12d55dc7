-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{% set focus_columns = focus_column_specs() %}

with

rows_parsed as (
    select * from {{ ref('int_focus__rows_parsed') }}
),

file_verdicts as (
    select * from {{ ref('int_focus__file_verdicts') }}
),

accepted_files as (
    select
        data_source_id,
        key,
        etag
    from file_verdicts
    where status = 'accepted'
),

rows_of_accepted_files as (
    select rows_parsed.*
    from rows_parsed
    inner join accepted_files
        on rows_parsed.data_source_id = accepted_files.data_source_id
        and rows_parsed.key = accepted_files.key
        and rows_parsed.etag = accepted_files.etag
),

final as (
    select
        {%- for column in focus_columns %}
        {%- if column.column_id == 'ProviderName' %}
        {#- FOCUS 1.3 renamed ProviderName to ServiceProviderName: each fills the other when absent. #}
        coalesce(provider_name, service_provider_name) as ProviderName,
        {%- elif column.column_id == 'ServiceProviderName' %}
        coalesce(service_provider_name, provider_name) as ServiceProviderName,
        {%- else %}
        {{ column.column_key }} as {{ column.column_id }},
        {%- endif %}
        {%- endfor %}
        data_source_id as x_DataSourceId,
        {{ sub_account_data_source_id('data_source_id', 'sub_account_id') }} as x_SubAccountDataSourceId,
        key as x_SourceFile,
        billing_month as x_BillingMonth
    from rows_of_accepted_files
)

select * from final
