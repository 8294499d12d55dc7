{% macro sub_account_data_source_id(parent_id, sub_account_id) -%}
    {#- Child data source of a configured one: "<parent>/<SubAccountId>", stable across runs and readable;
        null for rows without SubAccountId, which belong to the parent. An id that starts with a slash
        (Azure's /subscriptions/...) is not given a second one. -#}
    case
        when {{ sub_account_id }} like '/%'
            then {{ dbt.concat([parent_id, sub_account_id]) }}
        when {{ sub_account_id }} is not null
            then {{ dbt.concat([parent_id, "'/'", sub_account_id]) }}
    end
{%- endmacro %}
