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

{#- Spark: external tables over the lake's folders, recreated on every build (dropping an external table keeps
    its files). The columns are declared (the DuckDB types of var('lake_raw_columns') in Spark's words), so
    that an empty folder is a typed empty table and no Parquet footer is read to infer a schema;
    recursiveFileLookup reads every `data_source=<slug>/` folder without partition discovery (the slug would
    replace the `data_source` column, as on DuckDB). `_dlt_loads` is dlt's JSON markers. One statement per
    run_query: Spark runs one at a time. -#}
{% macro default__register_raw_relations() %}
    {%- set lake = var('lake', none) -%}
    {%- if lake is none or not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- if not var('lake_raw_columns') -%}
        {{ exceptions.raise_compiler_error(
            "var('lake') needs var('lake_raw_columns'): run the build through focus-ingest run --lake") }}
    {%- endif -%}
    {%- set spark_types = {'varchar': 'string', 'bigint': 'bigint', 'timestamptz': 'timestamp', 'date': 'date',
                           'boolean': 'boolean'} -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for table, columns in var('lake_raw_columns').items() -%}
        {%- set relation = 'raw.' ~ adapter.quote(table) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- set create -%}
            create table {{ relation }} (
            {%- for column in columns %}
                {{ adapter.quote(column[0]) }} {{ spark_types[column[1]] }}{{ ',' if not loop.last }}
            {%- endfor %}
            )
            {%- if table == '_dlt_loads' %}
            using json
            {%- else %}
            using parquet options (recursiveFileLookup 'true')
            {%- endif %}
            location '{{ lake }}/raw/{{ table }}'
        {%- endset -%}
        {%- do run_query(create) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
