{% macro aggregate_issue_samples(relation, group_columns, row_number_column, value_column, sample_size) -%}
    {#- One row per group: issue_count, first_row_number, and sample_<n>_row_number / sample_<n>_value
        for the first sample_size issues in row order. -#}
    {{ return(adapter.dispatch('aggregate_issue_samples', 'focus_ingest')(
        relation, group_columns, row_number_column, value_column, sample_size
    )) }}
{%- endmacro %}

{% macro default__aggregate_issue_samples(relation, group_columns, row_number_column, value_column, sample_size) -%}
    select
        {{ group_columns | join(', ') }},
        count(*) as issue_count,
        min({{ row_number_column }}) as first_row_number,
        {%- for rank in range(1, sample_size + 1) %}
        max(case when sample_rank = {{ rank }} then {{ row_number_column }} end) as sample_{{ rank }}_row_number,
        max(case when sample_rank = {{ rank }} then {{ value_column }} end) as sample_{{ rank }}_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select
            *,
            row_number() over (
                partition by {{ group_columns | join(', ') }}
                order by {{ row_number_column }}, {{ value_column }}
            ) as sample_rank
        from {{ relation }}
    ) as issues_ranked
    group by {{ group_columns | join(', ') }}
{%- endmacro %}

{% macro duckdb__aggregate_issue_samples(relation, group_columns, row_number_column, value_column, sample_size) -%}
    {#- min_by(.., n) keeps the n first issues without sorting every issue: a window over millions of
        warnings (a lenient date form on every row) costs several times more. A struct keeps null values
        aligned with their row numbers. -#}
    select
        {{ group_columns | join(', ') }},
        issue_count,
        first_row_number,
        {%- for rank in range(1, sample_size + 1) %}
        samples[{{ rank }}].row_number as sample_{{ rank }}_row_number,
        samples[{{ rank }}].value as sample_{{ rank }}_value{% if not loop.last %},{% endif %}
        {%- endfor %}
    from (
        select
            {{ group_columns | join(', ') }},
            count(*) as issue_count,
            min({{ row_number_column }}) as first_row_number,
            min_by(
                struct_pack(row_number := {{ row_number_column }}, value := {{ value_column }}),
                coalesce({{ row_number_column }}, 0),
                {{ sample_size }}
            ) as samples
        from {{ relation }}
        group by {{ group_columns | join(', ') }}
    ) as issues_aggregated
{%- endmacro %}
