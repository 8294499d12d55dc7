-- depends_on: {{ ref('focus_columns') }}
-- depends_on: {{ ref('focus_profile_columns') }}
-- depends_on: {{ ref('focus_column_aliases') }}
{# Incremental by file version: only the current versions whose validation_id is not complete here (one
    row per check rule) are read, in one pass that counts every check's issues per rule and keeps their
    first samples. Every check gets a row, with issue_count 0 when clean, so that a clean file is known as
    checked and never read again. Superseded versions' rows stay until `focus-ingest vacuum`: readers
    join int_focus__loaded_files on validation_id. A partial version (a build cut short) is redone
    whole: on DuckDB the config's pre-hook first deletes its leftover rows, on Spark its partition is
    overwritten (macro focus_incremental_config). #}
{%- set sample_size = validation_sample_size() -%}
{%- set checks = focus_checks() -%}
{%- set check_rules = [] -%}
{%- for check in checks -%}
    {%- for rule in check.rules -%}
        {%- do check_rules.append({
            'check': check.name, 'rule': rule, 'column_id': check.column_id, 'name': check.name ~ '__' ~ rule,
        }) -%}
    {%- endfor -%}
{%- endfor -%}
{%- set completeness = ['int_focus__files', 'count(*)', check_rules | length] -%}
{{ config(**focus_incremental_config(*completeness)) }}

with

files as (
    select * from {{ ref('int_focus__files') }}
),

rows_parsed as (
    select * from {{ ref('int_focus__rows_parsed') }}
),

files_to_check as (
    select
        data_source_id,
        key,
        etag,
        validation_id
    from files
    {%- if is_incremental() %}
    where validation_id not in ({{ complete_validations(this, *completeness) }})
    {%- endif %}
),

rows_to_check as (
    select
        files_to_check.validation_id,
        rows_parsed.*
    from rows_parsed
    inner join files_to_check
        on rows_parsed.data_source_id = files_to_check.data_source_id
        and rows_parsed.key = files_to_check.key
        and rows_parsed.etag = files_to_check.etag
),

issues_counted as (
    select
        validation_id,
        count(*) as rows_checked,
        max(source_row_number) as last_row_number,
        {#- Rows with an issue code that no check_rule counts: test assert_every_issue_code_is_counted. #}
        count(case when
            {%- for check in checks %}
            {{ check.name }}__issue not in ('{{ check.rules | join("', '") }}'){% if not loop.last %} or{% endif %}
            {%- endfor %}
            then 1 end) as uncounted_issue_count,
        {%- for check_rule in check_rules %}
        {%- set condition = check_rule.check ~ "__issue = '" ~ check_rule.rule ~ "'" %}
        {%- set samples = first_issue_samples(
            'source_row_number', check_rule.check ~ '__issue_value', condition, sample_size
        ) %}
        count(case when {{ condition }} then 1 end) as {{ check_rule.name }}__count,
        {{ samples.row_numbers }} as {{ check_rule.name }}__sample_row_numbers,
        {{ samples['values'] }} as {{ check_rule.name }}__sample_values{% if not loop.last %},{% endif %}
        {%- endfor %}
    from rows_to_check
    group by validation_id
),

check_rules as (
    {%- for check_rule in check_rules %}
    select
        {{ loop.index }} as check_rule_number,
        '{{ check_rule.rule }}' as rule,
        '{{ check_rule.column_id }}' as column_name
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

results_unpivoted as (
    select
        files_to_check.validation_id,
        files_to_check.data_source_id,
        files_to_check.key,
        files_to_check.etag,
        check_rules.rule,
        check_rules.column_name,
        coalesce(
            case check_rules.check_rule_number
                {%- for check_rule in check_rules %}
                when {{ loop.index }} then issues_counted.{{ check_rule.name }}__count
                {%- endfor %}
            end,
            0
        ) as issue_count,
        {%- for samples in ['sample_row_numbers', 'sample_values'] %}
        case check_rules.check_rule_number
            {%- for check_rule in check_rules %}
            when {{ loop.index }} then issues_counted.{{ check_rule.name }}__{{ samples }}
            {%- endfor %}
        end as {{ samples }},
        {%- endfor %}
        coalesce(issues_counted.rows_checked, 0) as rows_checked,
        issues_counted.last_row_number,
        coalesce(issues_counted.uncounted_issue_count, 0) as uncounted_issue_count
    from files_to_check
    cross join check_rules
    left join issues_counted
        on files_to_check.validation_id = issues_counted.validation_id
),

final as (
    select
        validation_id,
        data_source_id,
        key,
        etag,
        rule,
        column_name,
        issue_count,
        {{ issue_sample('sample_row_numbers', 1) }} as first_row_number,
        {%- for rank in range(1, sample_size + 1) %}
        {{ issue_sample('sample_row_numbers', rank) }} as sample_{{ rank }}_row_number,
        {{ issue_sample('sample_values', rank) }} as sample_{{ rank }}_value,
        {%- endfor %}
        rows_checked,
        last_row_number,
        uncounted_issue_count
    from results_unpivoted
)

select * from final
