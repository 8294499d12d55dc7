{% macro validation_fingerprint() %}
    {#- A hash of this project's models, seeds and macros. Incremental models keep the results of a file
        version only as long as the code that computed them is unchanged (it is part of validation_id):
        after a change to the project, the next build redoes every file version, as a full rebuild would.
        Comments count too; a needless redo is cheaper than a stale result. Empty at parse time, when
        there is no graph yet. Not loader/focus_ingest/dbt_build.py's project_fingerprint: that one is known before dbt
        runs and decides whether to build at all; this one must exist in any build, the loader's or not. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='unique_id') -%}
        {%- if node.package_name == project_name and node.resource_type in ('model', 'seed') -%}
            {%- do parts.append(node.unique_id ~ ' ' ~ node.checksum.checksum) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The graph does not list macros, and dbt has no public way to read a macro's source: `context` (the
        whole Jinja context) holds each macro as a callable whose `.macro` is its parsed node. If dbt renames
        that, no macro is found and edits to macros stop counting: test_dbt_seeds.py checks that they count. -#}
    {%- for name, value in context.items() | sort -%}
        {%- if value.macro is defined and value.macro.package_name == project_name
            and value.macro.original_file_path.startswith('macros/') -%}
            {%- do parts.append(name ~ ' ' ~ local_md5(value.macro.macro_sql)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('\n'))) }}
{% endmacro %}
