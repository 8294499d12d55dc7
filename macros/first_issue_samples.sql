{% macro first_issue_samples(row_number, value, condition, sample_size) -%}
    {#- Aggregates: the row numbers and the values of the first sample_size rows (in row order) where
        condition holds, as two lists in the same order, which issue_sample() reads; null or empty when
        there are none. Row numbers are unique within a file version, so the order is total. Returns
        {'row_numbers': expression, 'values': expression}. -#}
    {{ return(adapter.dispatch('first_issue_samples', 'focus_ingest')(row_number, value, condition, sample_size)) }}
{%- endmacro %}

{% macro default__first_issue_samples(row_number, value, condition, sample_size) -%}
    {#- Spark SQL: collect_list skips the nulls of non-matching rows; structs sort by their first field. -#}
    {%- set first_pairs -%}
        slice(array_sort(collect_list(
            case when {{ condition }} then named_struct('row_number', {{ row_number }}, 'value', {{ value }}) end
        )), 1, {{ sample_size }})
    {%- endset -%}
    {{ return({
        'row_numbers': 'transform(' ~ first_pairs ~ ', pair -> pair.row_number)',
        'values': 'transform(' ~ first_pairs ~ ', pair -> pair.value)',
    }) }}
{%- endmacro %}

{% macro duckdb__first_issue_samples(row_number, value, condition, sample_size) -%}
    {#- min_by(.., n) keeps the n first without sorting every issue (a lenient date form on every row
        makes millions); non-matching rows have a null key, which min_by skips. Two lists with the same
        unique key come out in the same order, and cost much less than one list of structs. min_by also
        skips a null value, which would shift every later value onto the wrong row number: a null value
        (value is a text) goes in as chr(0) and comes back null, a transform of the n kept values only. -#}
    {%- set key = 'case when ' ~ condition ~ ' then ' ~ row_number ~ ' end' -%}
    {{ return({
        'row_numbers': 'min_by(' ~ row_number ~ ', ' ~ key ~ ', ' ~ sample_size ~ ')',
        'values': 'list_transform(min_by(coalesce(' ~ value ~ ', chr(0)), ' ~ key ~ ', ' ~ sample_size
            ~ '), lambda sample: nullif(sample, chr(0)))',
    }) }}
{%- endmacro %}
