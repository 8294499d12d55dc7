{% macro focus_history_config() -%}
    {#- The config of the history models (int_focus__version_totals): append-only and kept through
        `dbt build --full-refresh` (dbt's own full_refresh: false), because the raw rows and the charges
        they were summed from may be gone (`focus-ingest vacuum`, raw_cleanup). One config that DuckDB
        and Spark both run: append is the one incremental strategy both implement on plain tables, and
        Parquet is Spark's format here (DuckDB ignores file_format). -#}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'full_refresh': false,
        'file_format': 'parquet',
        'on_schema_change': 'append_new_columns',
    }) }}
{%- endmacro %}
