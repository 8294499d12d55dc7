{% macro issue_sample(samples, rank) -%}
    {#- The rank-th (from 1) element of a list made by first_issue_samples(); null past its end. -#}
    {{ return(adapter.dispatch('issue_sample', 'focus_ingest')(samples, rank)) }}
{%- endmacro %}

{% macro default__issue_sample(samples, rank) -%}
    case when size({{ samples }}) >= {{ rank }} then element_at({{ samples }}, {{ rank }}) end
{%- endmacro %}

{% macro duckdb__issue_sample(samples, rank) -%}
    {{ samples }}[{{ rank }}]
{%- endmacro %}
