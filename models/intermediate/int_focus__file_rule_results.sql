{%- set sample_size = validation_sample_size() -%}

with

row_check_results as (
    select * from {{ ref('int_focus__row_check_results') }}
),

file_issues as (
    select * from {{ ref('int_focus__file_issues') }}
),

rules as (
    select * from {{ ref('validation_rules') }}
),

loaded_files as (
    select * from {{ ref('int_focus__loaded_files') }}
),

allowed_values as (
    select * from {{ ref('focus_allowed_values') }}
),

{#- allowed_value's fix lists the canonical values of the file's profile for that column. #}
allowed_values_listed as (
    select
        profile,
        column_id,
        {{ ordered_listagg('canonical_value', "', '", 'canonical_value') }} as allowed_value_list
    from (select distinct profile, column_id, canonical_value from allowed_values) as canonical_values
    group by profile, column_id
),

{#- int_focus__row_check_results keeps superseded versions' rows until vacuum: the current ones only. #}
row_issues_found as (
    select
        row_check_results.data_source_id,
        row_check_results.key,
        row_check_results.etag,
        row_check_results.rule,
        row_check_results.column_name,
        row_check_results.issue_count,
        row_check_results.first_row_number,
        {%- for rank in range(1, sample_size + 1) %}
        row_check_results.sample_{{ rank }}_row_number,
        row_check_results.sample_{{ rank }}_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from row_check_results
    inner join loaded_files
        on row_check_results.validation_id = loaded_files.validation_id
    where row_check_results.issue_count > 0
),

{#- A file-level issue occurs at most once per file, rule and column (unique key of this model):
    it is its own first and only sample. #}
file_issues_counted as (
    select
        data_source_id,
        key,
        etag,
        rule,
        column_name,
        cast(1 as {{ dbt.type_bigint() }}) as issue_count,
        source_row_number as first_row_number,
        source_row_number as sample_1_row_number,
        value as sample_1_value,
        {%- for rank in range(2, sample_size + 1) %}
        cast(null as {{ dbt.type_bigint() }}) as sample_{{ rank }}_row_number,
        cast(null as {{ dbt.type_string() }}) as sample_{{ rank }}_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from file_issues
),

issues_combined as (
    select * from file_issues_counted
    union all
    select * from row_issues_found
),

final as (
    select
        issues_combined.*,
        {#- Profile `any` reports some rules as warnings that reject a file in the strict profiles. #}
        case when loaded_files.is_lenient then rules.severity_in_any else rules.severity end as severity,
        rules.rule_order,
        rules.message_template,
        case
            when allowed_values_listed.allowed_value_list is not null
                then {{ dbt.concat([
                    'rules.how_to_fix', "' Allowed in '", 'loaded_files.profile', "': '",
                    'allowed_values_listed.allowed_value_list', "'.'",
                ]) }}
            else rules.how_to_fix
        end as how_to_fix
    from issues_combined
    {#- A left join: an issue whose rule is missing from the catalogue keeps its row, with a null
        severity that fails this model's not_null test instead of vanishing. #}
    left join rules
        on issues_combined.rule = rules.rule
    left join loaded_files
        on issues_combined.data_source_id = loaded_files.data_source_id
        and issues_combined.key = loaded_files.key
        and issues_combined.etag = loaded_files.etag
    left join allowed_values_listed
        on issues_combined.rule = 'allowed_value'
        and loaded_files.profile = allowed_values_listed.profile
        and issues_combined.column_name = allowed_values_listed.column_id
)

select * from final
