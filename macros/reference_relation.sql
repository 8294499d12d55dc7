{% macro reference_relation(seed_name) %}
    {#- The seed table, located by name rather than with ref(): inside dbt unit tests ref() resolves to a
        fixture CTE, which run_query cannot read. Models that call this declare the seed with
        `-- depends_on: {{ ref(...) }}` so that it is built first. -#}
    {%- set relation = adapter.get_relation(database=target.database, schema='reference', identifier=seed_name) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error("Seed reference." ~ seed_name ~ " does not exist yet: run `dbt build` (it loads seeds first).") }}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
