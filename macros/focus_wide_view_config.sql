{% macro focus_wide_view_config() -%}
    {#- The config of a view whose compiled SQL is too long for a Hive metastore to store, called in the
        model's config() block: int_focus__rows_parsed compiles to ~150 KB, one column set per FOCUS column. -#}
    {{ return(adapter.dispatch('focus_wide_view_config', 'focus_ingest')()) }}
{%- endmacro %}

{% macro default__focus_wide_view_config() -%}
    {#- Spark: the metastore keeps a view's text, and the embedded Derby metastore of the session method
        (and of a Thrift server's default) holds at most 32,700 characters of it (`A truncation error was
        encountered trying to shrink LONG VARCHAR ... to length 32700`, measured on the real project). A
        table stores no text. Not ephemeral: a unit test with the model as a dict-rows input reads the
        columns of its relation (dbt's get_fixture_sql), and an ephemeral model has none. The cost: the
        table is rebuilt from every current row on each build (docs/design/scale-out.md, Stage 4 findings). -#}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{% macro duckdb__focus_wide_view_config() -%}
    {#- DuckDB stores a view's text of any length; readers read only the file versions they lack. -#}
    {{ return({'materialized': 'view'}) }}
{%- endmacro %}
