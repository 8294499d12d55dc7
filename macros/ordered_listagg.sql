{% macro ordered_listagg(measure, delimiter_text, order_by, descending=false) -%}
    {#- Aggregate: the non-null values of measure joined by delimiter_text (an SQL string literal), in the
        order of order_by (an expression that is never null), ascending or descending; null when there are
        none. dbt.listagg drops its order on Spark (with a warning) and gives '' there for no values,
        where DuckDB gives null. -#}
    {{ return(adapter.dispatch('ordered_listagg', 'focus_ingest')(measure, delimiter_text, order_by, descending)) }}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, order_by, descending) -%}
    {#- Spark SQL: (key, value) pairs sorted by key, then value, so that ties come out the same every run;
        array_join skips the null values. -#}
    case when count({{ measure }}) > 0 then array_join(transform(
        sort_array(
            collect_list(named_struct('sort_key', {{ order_by }}, 'value', {{ measure }})),
            {{ 'false' if descending else 'true' }}
        ),
        pair -> pair.value
    ), {{ delimiter_text }}) end
{%- endmacro %}

{% macro duckdb__ordered_listagg(measure, delimiter_text, order_by, descending) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ order_by ~ (' desc' if descending else '')) }}
{%- endmacro %}
