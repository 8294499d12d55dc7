"""`focus-ingest report`: one self-contained HTML page that a FinOps lead opens after a run.

It shows the monthly cost per data source and sub-account and per service (charts and tables, one set per
currency, since amounts in different currencies never add up), the files of the last run with their status,
the rejected files with their reasons, sample values and how to fix them, and the months the run covered or
skipped.

The page must open from a mail attachment or a shared drive, offline: CSS and the SVG charts are inline,
there is no script, and a Content-Security-Policy forbids scripts and network requests outright. File
names and values come from data producers and are untrusted: the page is rendered by Jinja2 templates
(`templates/`) with autoescape on, so every value is escaped by the template engine, never by hand. The
cost grouping (series per sub-account or per service, the chart's top N and "Other") is the marts'
(`marts.report_costs_by_sub_account`, `marts.report_costs_by_service`); sums are exact DECIMAL sums computed
by DuckDB, Python only formats them and turns them into pixel sizes for the charts.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from focus_ingest.destinations import lake_database
from focus_ingest.errors import FocusIngestError
from focus_ingest.known_versions import FILE_STATUSES_SQL, has_event_log
from focus_ingest.month_history import MissingFeed, month_history
from focus_ingest.months import months_between
from focus_ingest.progress import human_bytes
from focus_ingest.settings import Lake
from focus_ingest.state import LOADS_TABLE, RAW_SCHEMA

logger = logging.getLogger(__name__)

COST_METRICS = (("BilledCost", "Billed cost"), ("EffectiveCost", "Effective cost"))
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_OTHER_COLOUR = "#bab0ac"
_SAMPLE_COLUMN = re.compile(r"^sample_(\d+)_row_number$")
_CENT = Decimal("0.01")
_TEMPLATE = "report.html.j2"

# Stands in for marts.file_validation before the first dbt build.
_NO_VERDICTS = """(
    select null as data_source_id, null as key, null as etag, null as status, null as error_count,
           null as warning_count, null as first_error
    where false
)"""


# --- what the page shows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastRun:
    """The last loader run that finished (runs that died are closed with no summary and are skipped)."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    as_of: date
    summary: dict[str, Any]  # the run's summary as JSON


@dataclass(frozen=True)
class CycleFile:
    """A file version the last run listed: read, unchanged, replaced or deleted."""

    data_source: str
    key: str
    etag: str
    billing_month: str
    status: str  # accepted, rejected, replaced, deleted, or "not validated" when the marts lag behind
    activity: str  # what the last run did with it: new, changed, unchanged, replaced, deleted
    row_count: int | None
    size: int | None
    error_count: int | None
    warning_count: int | None
    reason: str | None  # the first error in words (marts), or the loader's reason for an unreadable file


@dataclass(frozen=True)
class RuleFailure:
    """One failed rule of a rejected file, with up to N (row number, value) samples and the rule's fix."""

    rule: str
    column_name: str | None
    count: int
    samples: tuple[tuple[int | None, str | None], ...]
    how_to_fix: str | None  # the rule catalogue's text, the one `focus-ingest validate` prints


@dataclass
class CostLine:
    """A row of a cost table: one series (a sub-account, a service group) or, with series_id None, the total."""

    series_id: str | int | None
    columns: dict[str, Any] = field(default_factory=dict)  # the breakdown's row_columns
    # month -> (BilledCost, EffectiveCost, charge count); total: the same over all months
    by_month: dict[str, tuple[Decimal, Decimal, int]] = field(default_factory=dict)
    total: tuple[Decimal, Decimal, int] = (Decimal(0), Decimal(0), 0)


@dataclass(frozen=True)
class CostBreakdown:
    """One cost mart of the page: the column that identifies a table row, the columns the row shows beside
    its amounts (one value per row), and the order of the rows."""

    name: str  # the page's data-breakdown of its charts and tables
    mart: str
    series_column: str
    row_columns: tuple[str, ...]
    sort_key: Callable[[CostLine], tuple[Any, ...]]


SUB_ACCOUNTS = CostBreakdown(
    "sub-accounts",
    "report_costs_by_sub_account",
    "x_DataSourceId",
    ("x_ParentDataSourceId", "x_SubAccountName", "x_SubAccountId"),
    # grouped by data source, the largest first
    lambda line: (line.columns["x_ParentDataSourceId"], -line.total[0], line.series_id),
)
SERVICES = CostBreakdown(
    "services",
    "report_costs_by_service",
    "x_ChartSlot",
    ("x_ChartSeries", "x_IsOtherSeries"),
    lambda line: (line.series_id,),  # the slot: the largest first, "Other" last
)
# Not the service mart: a database built by an earlier version still shows everything else until its next build.
REQUIRED_MARTS = ("costs_monthly", "data_sources", "file_validation", "validation_errors", SUB_ACCOUNTS.mart)


@dataclass(frozen=True)
class ChartSeries:
    """One stacked segment series of a chart: a sub-account or a service, or "Other" for the smaller ones."""

    slot: int
    label: str
    is_other: bool
    by_month: dict[str, tuple[Decimal, Decimal]]  # month -> (BilledCost, EffectiveCost)

    @property
    def colour(self) -> str:
        return _OTHER_COLOUR if self.is_other else _PALETTE[(self.slot - 1) % len(_PALETTE)]


@dataclass
class CurrencyCosts:
    """The cost block of one billing currency: its months, table rows, total row and chart series."""

    currency: str
    total: CostLine  # series_id None: the sums over every series
    months: list[str] = field(default_factory=list)
    lines: list[CostLine] = field(default_factory=list)
    chart: list[ChartSeries] = field(default_factory=list)


@dataclass(frozen=True)
class VersionLine:
    """One row of a restated month's versions table (marts.month_versions): a version in one currency."""

    version_number: int
    is_current: bool
    run_id: str
    versioned_at: datetime
    file_count: int
    charge_count: int
    currency: str | None  # None: the version has no charges
    billed: Decimal
    effective: Decimal


@dataclass(frozen=True)
class ChangeLine:
    """One of the largest changes of a restated month (marts.month_changes)."""

    version_number: int
    sub_account: str
    service: str
    currency: str
    billed_before: Decimal
    billed_after: Decimal
    billed_change: Decimal
    effective_change: Decimal
    changed_files: str


@dataclass
class RestatedMonthHistory:
    """A month with more than one version: its versions and its largest changes."""

    data_source: str
    billing_month: str
    versions: list[VersionLine] = field(default_factory=list)
    changes: list[ChangeLine] = field(default_factory=list)

    @property
    def version_labels(self) -> list[str]:
        return [f"v{number}" for number in sorted({line.version_number for line in self.versions})]

    def chart_series(self) -> dict[str, list[ChartSeries]]:
        """Per currency, one series whose "months" are the versions: the month's total in each."""
        series: dict[str, ChartSeries] = {}
        for line in self.versions:
            if line.currency is not None:
                entry = series.setdefault(line.currency, ChartSeries(1, f"{self.billing_month} total", False, {}))
                entry.by_month[f"v{line.version_number}"] = (line.billed, line.effective)
        return {currency: [series[currency]] for currency in sorted(series)}


@dataclass
class ReportData:
    """Everything the page shows; empty parts mean "not there yet" and get an explanation on the page."""

    database: Path
    generated_at: datetime
    last_run: LastRun | None = None
    unfinished_runs: list[tuple[str, datetime]] = field(default_factory=list)
    marts_ready: bool = False
    services_ready: bool = False  # marts.report_costs_by_service is there (built by this version)
    files: list[CycleFile] = field(default_factory=list)
    failures: dict[tuple[str, str, str], list[RuleFailure]] = field(default_factory=dict)
    costs: list[CurrencyCosts] = field(default_factory=list)  # per sub-account
    service_costs: list[CurrencyCosts] = field(default_factory=list)
    history_ready: bool = False  # the month history's marts are there (built by this version)
    restated: list[RestatedMonthHistory] = field(default_factory=list)
    missing_feeds: list[MissingFeed] = field(default_factory=list)


# --- reading the database ---------------------------------------------------------------------------------


def _tables(connection: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = connection.execute("select table_schema, table_name from information_schema.tables").fetchall()
    return {(schema, name) for schema, name in rows}


_COMMITTED_RUNS = f"""
select runs.*
from {RAW_SCHEMA}.runs as runs
inner join {RAW_SCHEMA}.{LOADS_TABLE} as loads on runs._dlt_load_id = loads.load_id and loads.status = 0
"""


def _last_run(connection: duckdb.DuckDBPyConnection) -> LastRun | None:
    """The last loader run that loaded something: one `raw.runs` row per data source it loaded."""
    rows = connection.execute(
        f"""
        with last_run as (
            select run_id from ({_COMMITTED_RUNS}) order by started_at desc limit 1
        )
        select run_id, started_at, finished_at, as_of, summary
        from ({_COMMITTED_RUNS})
        where run_id = (select run_id from last_run)
        order by data_source
        """
    ).fetchall()
    if not rows:
        return None
    summaries = [json.loads(summary_text) for *_, summary_text in rows]
    summary = {**summaries[0], "sources": [source for part in summaries for source in part.get("sources", [])]}
    return LastRun(rows[0][0], min(row[1] for row in rows), max(row[2] for row in rows), rows[0][3], summary)


def _cycle_files(connection: duckdb.DuckDBPyConnection, run: LastRun, marts_ready: bool) -> list[CycleFile]:
    """Every current file version of the data sources the last run loaded, and the versions it replaced or
    deleted (from the event log of completed loads)."""
    verdicts = "marts.file_validation" if marts_ready else _NO_VERDICTS
    sources = [source["name"] for source in run.summary["sources"]]
    rows = connection.execute(
        f"""
        with statuses as ({FILE_STATUSES_SQL}),
        keys_latest as (
            select data_source, key, arg_max(run_id, cast(load_id as decimal(24, 10))) as latest_run_id,
                   count(*) as versions
            from statuses
            group by data_source, key
        ),
        files as (
            select statuses.*, keys_latest.latest_run_id, keys_latest.versions
            from statuses
            inner join keys_latest
                on keys_latest.data_source = statuses.data_source and keys_latest.key = statuses.key
            where list_contains(?, statuses.data_source)
              and (statuses.status in ('loaded', 'rejected') or keys_latest.latest_run_id = ?)
        )
        select
            files.data_source,
            files.key,
            files.etag,
            files.billing_month,
            case
                when files.status in ('replaced', 'deleted') then files.status
                when verdicts.status is not null then verdicts.status
                when files.status = 'loaded' then 'not validated'
                else files.status
            end as status,
            case
                when files.status in ('replaced', 'deleted') then files.status
                when files.run_id <> ? then 'unchanged'
                when files.versions > 1 then 'changed'
                else 'new'
            end as activity,
            files.row_count,
            files.size,
            verdicts.error_count,
            verdicts.warning_count,
            coalesce(
                verdicts.first_error,
                files.error || coalesce(' (line ' || cast(files.error_line as varchar) || ')', '')
            ) as reason
        from files
        left join {verdicts} as verdicts
            on verdicts.data_source_id = files.data_source
            and verdicts.key = files.key
            and verdicts.etag = files.etag
        order by files.data_source, files.billing_month, files.key, files.status
        """,
        [sources, run.run_id, run.run_id],
    ).fetchall()
    return [CycleFile(*row) for row in rows]


def _rule_failures(
    connection: duckdb.DuckDBPyConnection, run: LastRun
) -> dict[tuple[str, str, str], list[RuleFailure]]:
    """The errors (not warnings) of the files the last run listed, per file version, with the rule's fix."""
    columns = [
        name
        for (name,) in connection.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'validation_errors'"
        ).fetchall()
    ]
    ranks = sorted(int(match[1]) for name in columns if (match := _SAMPLE_COLUMN.match(name)))
    samples = "".join(f", errors.sample_{rank}_row_number, errors.sample_{rank}_value" for rank in ranks)
    rows = connection.execute(
        f"""
        select errors.data_source_id, errors.key, errors.etag, errors.rule, errors.column_name,
               errors.error_count, rules.how_to_fix{samples}
        from marts.validation_errors as errors
        inner join ({FILE_STATUSES_SQL}) as files
            on files.data_source = errors.data_source_id and files.key = errors.key
            and files.etag = errors.etag
        left join reference.validation_rules as rules
            on rules.rule = errors.rule
        where errors.severity = 'error' and files.status in ('loaded', 'rejected')
          and list_contains(?, files.data_source)
        order by errors.data_source_id, errors.key, errors.etag, rules.rule_order, errors.column_name
        """,
        [[source["name"] for source in run.summary["sources"]]],
    ).fetchall()
    failures: dict[tuple[str, str, str], list[RuleFailure]] = {}
    for data_source, key, etag, rule, column_name, count, how_to_fix, *sample_values in rows:
        pairs = tuple(
            (sample_values[index], sample_values[index + 1])
            for index in range(0, len(sample_values), 2)
            if sample_values[index] is not None or sample_values[index + 1] is not None
        )
        failures.setdefault((data_source, key, etag), []).append(
            RuleFailure(rule, column_name, count, pairs, how_to_fix)
        )
    return failures


def _costs(connection: duckdb.DuckDBPyConnection, breakdown: CostBreakdown) -> list[CurrencyCosts]:
    """Per currency: the table (series x month, with totals) and the chart series, all sums by DuckDB."""
    series = ", ".join((breakdown.series_column, *breakdown.row_columns))
    rows = connection.execute(
        f"""
        select
            BillingCurrency, x_BillingMonth, sum(BilledCost), sum(EffectiveCost), sum(x_ChargeCount),
            grouping({breakdown.series_column}) = 0 as per_series,
            grouping(x_BillingMonth) = 0 as per_month,
            {series}
        from marts.{breakdown.mart}
        group by grouping sets (
            (BillingCurrency, {series}, x_BillingMonth),
            (BillingCurrency, {series}),
            (BillingCurrency, x_BillingMonth),
            (BillingCurrency)
        )
        """
    ).fetchall()
    by_currency: dict[str, CurrencyCosts] = {}
    lines: dict[tuple[str, Any], CostLine] = {}
    for currency, month, billed, effective, charges, per_series, per_month, series_id, *row_values in rows:
        costs = by_currency.setdefault(currency, CurrencyCosts(currency, total=CostLine(None)))
        if per_series:
            line = lines.get((currency, series_id))
            if line is None:
                columns = dict(zip(breakdown.row_columns, row_values, strict=True))
                line = lines[(currency, series_id)] = CostLine(series_id, columns)
                costs.lines.append(line)
        else:
            line = costs.total
        if per_month:
            line.by_month[month] = (billed, effective, charges)
        else:
            line.total = (billed, effective, charges)
        if per_month and not per_series:
            costs.months.append(month)
    charts = _chart_series(connection, breakdown.mart)
    for costs in by_currency.values():
        costs.months.sort()
        costs.lines.sort(key=breakdown.sort_key)
        costs.chart = charts.get(costs.currency, [])
    return [by_currency[currency] for currency in sorted(by_currency)]


def _chart_series(connection: duckdb.DuckDBPyConnection, mart: str) -> dict[str, list[ChartSeries]]:
    """Per currency, the chart's series in slot order as the mart groups them (top N, then "Other")."""
    rows = connection.execute(
        f"""
        select BillingCurrency, x_ChartSlot, any_value(x_ChartSeries), bool_or(x_IsOtherSeries), x_BillingMonth,
               sum(BilledCost), sum(EffectiveCost)
        from marts.{mart}
        group by BillingCurrency, x_ChartSlot, x_BillingMonth
        order by BillingCurrency, x_ChartSlot, x_BillingMonth
        """
    ).fetchall()
    series: dict[tuple[str, int], ChartSeries] = {}
    for currency, slot, label, is_other, month, billed, effective in rows:
        entry = series.setdefault((currency, slot), ChartSeries(slot, label, is_other, {}))
        entry.by_month[month] = (billed, effective)
    charts: dict[str, list[ChartSeries]] = {}
    for (currency, _), entry in series.items():
        charts.setdefault(currency, []).append(entry)
    return charts


LARGEST_CHANGES = 10  # per restated month


def _restated_months(connection: duckdb.DuckDBPyConnection) -> list[RestatedMonthHistory]:
    """Every month with more than one version: its versions, and its largest changes by billed cost."""
    months: dict[tuple[str, str], RestatedMonthHistory] = {}
    for data_source, month, *line in connection.execute(
        """
        select data_source_id, billing_month, version_number, is_current, run_id, versioned_at, file_count,
               charge_count, billing_currency, billed_cost, effective_cost
        from marts.month_versions
        where (data_source_id, billing_month) in (
            select (data_source_id, billing_month) from marts.month_versions where version_number > 1
        )
        order by data_source_id, billing_month, version_number, billing_currency
        """
    ).fetchall():
        entry = months.setdefault((data_source, month), RestatedMonthHistory(data_source, month))
        entry.versions.append(VersionLine(*line))
    for data_source, month, *line in connection.execute(
        f"""
        select data_source_id, billing_month, version_number, sub_account_data_source_id, service_name,
               billing_currency, billed_cost_before, billed_cost_after, billed_cost_change, effective_cost_change,
               changed_files
        from marts.month_changes
        qualify row_number() over (
            partition by data_source_id, billing_month
            order by abs(billed_cost_change) desc, abs(effective_cost_change) desc, version_number desc,
                     sub_account_data_source_id, service_name, billing_currency
        ) <= {LARGEST_CHANGES}
        order by data_source_id, billing_month, abs(billed_cost_change) desc, abs(effective_cost_change) desc,
                 version_number desc, sub_account_data_source_id, service_name, billing_currency
        """
    ).fetchall():
        if (data_source, month) in months:
            months[(data_source, month)].changes.append(ChangeLine(*line))
    return list(months.values())


def read_report_data(database: Path, lake: Lake | None = None) -> ReportData:
    """Everything the page shows, read from the database read-only (its raw views over `lake`, if any)."""
    if not database.exists():
        raise FocusIngestError(f"Database {database} does not exist: run `focus-ingest run` first.")
    data = ReportData(database=database, generated_at=datetime.now(UTC))
    with lake_database(database, lake) as connection:
        tables = _tables(connection)
        if not has_event_log(connection) or ("raw", "runs") not in tables:
            return data
        data.last_run = _last_run(connection)
        data.unfinished_runs = connection.execute(
            f"""
            select run_id, min(started_at) from {RAW_SCHEMA}.runs
            where _dlt_load_id not in (select load_id from {RAW_SCHEMA}.{LOADS_TABLE} where status = 0)
              and cast(_dlt_load_id as decimal(24, 10)) > (
                  select coalesce(max(cast(load_id as decimal(24, 10))), 0) from {RAW_SCHEMA}.{LOADS_TABLE}
              )
            group by run_id order by min(started_at)
            """
        ).fetchall()
        data.marts_ready = all(("marts", name) in tables for name in REQUIRED_MARTS)
        data.services_ready = data.marts_ready and ("marts", SERVICES.mart) in tables
        if data.last_run is not None:
            data.files = _cycle_files(connection, data.last_run, data.marts_ready)
            if data.marts_ready:
                data.failures = _rule_failures(connection, data.last_run)
        if data.marts_ready:
            data.costs = _costs(connection, SUB_ACCOUNTS)
        if data.services_ready:
            data.service_costs = _costs(connection, SERVICES)
        data.history_ready = data.marts_ready and all(
            ("marts", name) in tables for name in ("month_versions", "month_changes", "missing_feeds")
        )
        if data.history_ready:
            data.restated = _restated_months(connection)
            data.missing_feeds = month_history(connection).missing
    return data


# --- formatting (Jinja filters: they return plain text, which the template escapes) --------------------------


def _shown(value: object, empty: str = "—") -> str:
    """Text of any value from the database; a missing one shows as a dash."""
    return empty if value is None or value == "" else str(value)


def money(amount: Decimal | None) -> str:
    """1234567.885 -> '1,234,567.89': two decimals rounded half away from zero, as invoices and DuckDB's
    round() do (Python's own formatting would round half to even)."""
    if amount is None:
        return "—"
    return f"{amount.quantize(_CENT, rounding=ROUND_HALF_UP):,.2f}"


def _count(number: int | None) -> str:
    return "—" if number is None else f"{number:,}"


def _quantity(number: int | None, noun: str) -> str:
    return f"{_count(number)} {noun}{'' if number == 1 else 's'}"


def _bytes(size: int | None) -> str:
    return "—" if size is None else human_bytes(size)


# --- the charts -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartTick:
    y: float
    amount: float
    is_zero: bool


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    series: ChartSeries
    month: str
    amount: Decimal


@dataclass(frozen=True)
class ChartMonth:
    x: float
    month: str


@dataclass(frozen=True)
class BarChart:
    """The geometry of one stacked bar chart; `templates/chart.svg.j2` draws it."""

    breakdown: str  # CostBreakdown.name: what the series are
    currency: str
    metric: str
    title: str
    width: int
    height: int
    left: int
    right: int
    ticks: tuple[ChartTick, ...]
    bars: tuple[ChartBar, ...]
    months: tuple[ChartMonth, ...]


def _nice_step(span: float) -> float:
    """A 1/2/2.5/5 x 10^n step giving about four grid lines over `span`."""
    raw = span / 4
    magnitude: float = 10 ** math.floor(math.log10(raw))  # int ** int is typed Any: it may be a float
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def stacked_bar_chart(
    breakdown: str, currency: str, metric: str, title: str, months: Sequence[str], series: Sequence[ChartSeries]
) -> BarChart | None:
    """One stacked bar per month, positive amounts above zero and credits below it; None when every amount
    is zero.

    Every non-zero segment is at least one pixel high so that it stays visible and can be hovered for its
    exact amount (the <title> tooltip).
    """
    metric_index = 0 if metric == "BilledCost" else 1
    width, height = 520, 260
    left, right, top, bottom = 78, 12, 12, 28
    plot_width, plot_height = width - left - right, height - top - bottom
    values = {
        (entry.slot, month): entry.by_month[month][metric_index]
        for entry in series
        for month in months
        if month in entry.by_month and entry.by_month[month][metric_index] != 0
    }
    if not values:
        return None
    highest = max(sum(float(v) for (_, m), v in values.items() if m == month and v > 0) for month in months)
    lowest = min(sum(float(v) for (_, m), v in values.items() if m == month and v < 0) for month in months)
    step = _nice_step(max(highest - lowest, 1e-9))
    axis_top = math.ceil(max(highest, 0) / step) * step or step
    axis_bottom = math.floor(min(lowest, 0) / step) * step
    scale = plot_height / (axis_top - axis_bottom)

    def y_of(amount: float) -> float:
        return top + (axis_top - amount) * scale

    ticks = tuple(
        ChartTick(y_of(amount), amount, abs(amount) < step / 2)
        for amount in (axis_bottom + index * step for index in range(round((axis_top - axis_bottom) / step) + 1))
    )
    slot_width = plot_width / len(months)
    bar_width = min(slot_width * 0.62, 90)
    bars: list[ChartBar] = []
    labels: list[ChartMonth] = []
    for position, month in enumerate(months):
        x = left + slot_width * position + (slot_width - bar_width) / 2
        above, below = y_of(0), y_of(0)
        for entry in series:
            amount = values.get((entry.slot, month))
            if amount is None:
                continue
            bar_height = max(abs(float(amount)) * scale, 1.0)
            if amount > 0:
                above -= bar_height
                y = above
            else:
                y = below
                below += bar_height
            bars.append(ChartBar(x, y, bar_width, bar_height, entry, month, amount))
        labels.append(ChartMonth(x + bar_width / 2, month))
    return BarChart(breakdown, currency, metric, title, width, height, left, right, ticks, tuple(bars), tuple(labels))


# --- the page ---------------------------------------------------------------------------------------------


def glance_tiles(data: ReportData) -> list[tuple[str, str, str]]:
    """(label, value, detail) of the figures at the top of the page."""
    current = [file for file in data.files if file.status not in ("replaced", "deleted")]
    accepted = sum(1 for file in current if file.status == "accepted")
    rejected = sum(1 for file in current if file.status == "rejected")
    tiles = [("Files in the last run", f"{len(current):,}", f"{accepted:,} accepted · {rejected:,} rejected")]
    if data.last_run is not None:
        sources = data.last_run.summary["sources"]
        processed = sorted({month for source in sources for month in source.get("periods_processed", [])})
        skipped = sorted({month for source in sources for month in source.get("periods_skipped", [])})
        window = f"{processed[0]} to {processed[-1]}" if processed else "none"
        window += f" · {len(skipped)} skipped" if skipped else ""
        tiles.append(("Months processed", f"{len(processed)}", window))
    for costs in data.costs:
        latest = costs.months[-1]
        billed, effective, _ = costs.total.by_month[latest]
        effective_text = f"effective {money(effective)} {costs.currency}"
        tiles.append((f"{costs.currency} billed, {latest}", money(billed), effective_text))
    return tiles


@cache
def _environment() -> jinja2.Environment:
    """The templates ship in the package (package data), so the report works from any install."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__ or "focus_ingest", "templates"),
        autoescape=True,  # every value is untrusted text unless a template marks it otherwise
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(shown=_shown, money=money, count=_count, quantity=_quantity, bytes=_bytes)
    environment.globals.update(
        stacked_bar_chart=stacked_bar_chart, months_between=months_between, glance_tiles=glance_tiles
    )
    return environment


def render_report(data: ReportData) -> str:
    """The whole page as one HTML string."""
    return _environment().get_template(_TEMPLATE).render(
        data=data, metrics=COST_METRICS, sub_accounts=SUB_ACCOUNTS, services=SERVICES
    )


def write_report(database: Path, output: Path, lake: Lake | None = None) -> Path:
    """Write the report of `database` to `output` (one self-contained HTML file); returns `output`."""
    data = read_report_data(database, lake)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_report(data), encoding="utf-8")
    logger.info("report written to %s", output)
    return output
