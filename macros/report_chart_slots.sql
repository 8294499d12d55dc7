{% macro report_chart_slots(costs, series_column) -%}
    {#- The report's top-N grouping, one logic for every cost mart of the report: ranks the series
        (`series_column`) of each BillingCurrency of the relation `costs` by BilledCost over all its rows
        (1 = largest, ties by the series), keeps the largest in their own chart slot and puts the rest into
        the last slot, "Other". The var report_chart_series (default 9) is the number of slots. Returns a
        select of every column of `costs` plus x_SeriesRank, x_ChartSlot, x_IsOtherSeries and
        x_OtherSeriesCount (how many series "Other" holds when it exists). -#}
    {%- set chart_series = var('report_chart_series', 9) -%}
    select
        {{ costs }}.*,
        series_totals_ranked.x_SeriesRank,
        case
            when series_totals_ranked.series_count <= {{ chart_series }}
                or series_totals_ranked.x_SeriesRank < {{ chart_series }}
                then series_totals_ranked.x_SeriesRank
            else {{ chart_series }}
        end as x_ChartSlot,
        series_totals_ranked.series_count > {{ chart_series }}
            and series_totals_ranked.x_SeriesRank >= {{ chart_series }} as x_IsOtherSeries,
        series_totals_ranked.series_count - {{ chart_series }} + 1 as x_OtherSeriesCount
    from {{ costs }}
    inner join (
        select
            BillingCurrency,
            {{ series_column }},
            {#- BIGINT on both engines: Spark's row_number() is an INT, DuckDB's a BIGINT. #}
            cast(row_number() over (
                partition by BillingCurrency
                order by sum(BilledCost) desc, {{ series_column }}
            ) as {{ dbt.type_bigint() }}) as x_SeriesRank,
            count(*) over (partition by BillingCurrency) as series_count
        from {{ costs }}
        group by BillingCurrency, {{ series_column }}
    ) as series_totals_ranked
        on series_totals_ranked.BillingCurrency = {{ costs }}.BillingCurrency
        and series_totals_ranked.{{ series_column }} = {{ costs }}.{{ series_column }}
{%- endmacro %}
