{#- The raw relations the models read (source('raw', ...)), when they are not tables dlt made in the
    database: with var('lake'), dlt wrote them as files into the lake (loader/focus_ingest/destinations.py),
    and this on-run-start hook makes `raw.<table>` views over those files. Without a lake it does nothing.
    var('lake_raw_columns') holds every raw table's typed columns (passed by dbt_build.py from the project's
    own lists), so that a table with no file yet is an empty view with the right columns, never a query of
    the live database. -#}
{% macro register_raw_relations() %}
    {{ return(adapter.dispatch('register_raw_relations')()) }}
{% endmacro %}

{#- DuckDB: views over read_parquet / read_json. No hive partitioning: the partition column `data_source`
    (a slug) would replace the `data_source` column of the event tables (the name). -#}
{% macro duckdb__register_raw_relations() %}
    {%- set lake = var('lake', none) -%}
    {%- if lake is none or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not var('lake_raw_columns') -%}
        {{ exceptions.raise_compiler_error(
            "var('lake') needs var('lake_raw_columns'): run the build through focus-ingest run --lake") }}
    {%- endif -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for table, columns in var('lake_raw_columns').items() -%}
        {%- set folder = lake ~ '/raw/' ~ table -%}
        {%- set pattern = folder ~ ('/*.jsonl' if table == '_dlt_loads' else '/**/*.parquet') -%}
        {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
        {%- if found == 0 -%}
            {%- set relation -%}
                select
                {%- for column in columns %}
                    cast(null as {{ column[1] }}) as {{ adapter.quote(column[0]) }}{{ ',' if not loop.last }}
                {%- endfor %}
                where false
            {%- endset -%}
        {%- elif table == '_dlt_loads' -%}
            {%- set relation -%}
                select * from read_json('{{ pattern }}', format = 'newline_delimited', columns = {
                {%- for column in columns -%}
                    '{{ column[0] }}': '{{ column[1] }}'{{ ', ' if not loop.last }}
                {%- endfor -%}
                })
            {%- endset -%}
        {%- else -%}
            {%- set relation -%}
                select * from read_parquet('{{ pattern }}', hive_partitioning = false, union_by_name = true)
            {%- endset -%}
        {%- endif -%}
        {%- do run_query('create or replace view raw.' ~ adapter.quote(table) ~ ' as ' ~ relation) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- Spark: registering the lake as external tables is not written yet (docs/design/scale-out.md §3.1). -#}
{% macro default__register_raw_relations() %}
    {%- if var('lake', none) is not none -%}
        {{ exceptions.raise_compiler_error(
            'register_raw_relations: a lake on ' ~ target.type ~ ' is not implemented yet; only DuckDB reads it') }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
