"""`focus-ingest report`: one self-contained HTML page that a FinOps lead opens after a run.

It shows the monthly cost per data source and sub-account (charts and tables, one set per currency, since
amounts in different currencies never add up), the files of the last run with their status, the rejected
files with their reasons and sample values, and the months the run covered or skipped.

The page must open from a mail attachment or a shared drive, offline: CSS and the SVG charts are inline,
there is no script, and a Content-Security-Policy forbids scripts and network requests outright. File
names and values come from data producers and are untrusted, so every one of them goes through
`html.escape`. Sums are exact DECIMAL sums computed by DuckDB; Python only formats them (and turns them
into pixel sizes for the charts).
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from loader import state
from loader.errors import FocusIngestError
from loader.progress import human_bytes

logger = logging.getLogger(__name__)

REQUIRED_MARTS = ("costs_monthly", "data_sources", "file_validation", "validation_errors")
CHART_SERIES = 9  # bars per month in a chart: beyond that the eight largest stay and the rest become "Other"
COST_METRICS = (("BilledCost", "Billed cost"), ("EffectiveCost", "Effective cost"))
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
_OTHER_COLOUR = "#bab0ac"
_SAMPLE_COLUMN = re.compile(r"^sample_(\d+)_row_number$")
_RUN_COMMAND = "focus-ingest run"
_CENT = Decimal("0.01")

# Stands in for marts.file_validation before the first dbt build.
_NO_VERDICTS = """(
    select null as data_source_id, null as key, null as etag, null as status, null as error_count,
           null as warning_count, null as first_error
    where false
)"""

# A charge's series is its sub-account (the child data source) or, without a SubAccountId, its data source.
_COSTS_CTE = """
costs as (
    select
        costs_monthly.BillingCurrency as currency,
        costs_monthly.x_BillingMonth as billing_month,
        costs_monthly.x_DataSourceId as series_id,
        coalesce(data_sources.parent_id, costs_monthly.x_DataSourceId) as data_source,
        case when data_sources.parent_id is not null then data_sources.name end as sub_account_name,
        data_sources.sub_account_id,
        costs_monthly.BilledCost,
        costs_monthly.EffectiveCost,
        costs_monthly.x_ChargeCount
    from marts.costs_monthly as costs_monthly
    left join marts.data_sources as data_sources
        on data_sources.data_source_id = costs_monthly.x_DataSourceId
)
"""


# --- what the page shows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastRun:
    """The last loader run that finished (runs that died are closed with no summary and are skipped)."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    as_of: date
    summary: dict


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
    """One failed rule of a rejected file, with up to N (row number, value) samples."""

    rule: str
    column_name: str | None
    count: int
    samples: tuple[tuple[int | None, str | None], ...]


@dataclass
class CostLine:
    """A row of a cost table: one series (data source or sub-account) or, with series_id None, the total."""

    series_id: str | None
    data_source: str | None
    sub_account_name: str | None
    sub_account_id: str | None
    # month -> (BilledCost, EffectiveCost, charge count); total: the same over all months
    by_month: dict[str, tuple[Decimal, Decimal, int]] = field(default_factory=dict)
    total: tuple[Decimal, Decimal, int] = (Decimal(0), Decimal(0), 0)


@dataclass(frozen=True)
class ChartSeries:
    """One stacked segment series of a chart: a sub-account, or "Other" for the smaller ones together."""

    slot: int
    label: str
    by_month: dict[str, tuple[Decimal, Decimal]]  # month -> (BilledCost, EffectiveCost)


@dataclass
class CurrencyCosts:
    """The cost block of one billing currency: its months, table rows, total row and chart series."""

    currency: str
    total: CostLine  # series_id None: the sums over every series
    months: list[str] = field(default_factory=list)
    lines: list[CostLine] = field(default_factory=list)
    chart: list[ChartSeries] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything the page shows; empty parts mean "not there yet" and get an explanation on the page."""

    database: Path
    generated_at: datetime
    last_run: LastRun | None = None
    unfinished_runs: list[tuple[str, datetime]] = field(default_factory=list)
    marts_ready: bool = False
    files: list[CycleFile] = field(default_factory=list)
    failures: dict[tuple[str, str, str], list[RuleFailure]] = field(default_factory=dict)
    costs: list[CurrencyCosts] = field(default_factory=list)


# --- reading the database ---------------------------------------------------------------------------------


def _tables(connection: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = connection.execute("select table_schema, table_name from information_schema.tables").fetchall()
    return {(schema, name) for schema, name in rows}


def _last_run(connection: duckdb.DuckDBPyConnection) -> LastRun | None:
    rows = connection.execute(
        """
        select run_id, started_at, finished_at, as_of, summary
        from raw.runs
        where finished_at is not null
        order by started_at desc
        """
    ).fetchall()
    for run_id, started_at, finished_at, as_of, summary_text in rows:
        summary = json.loads(summary_text or "{}")
        if "sources" in summary:  # {"interrupted": true} marks a run that died; the next run closed it
            return LastRun(run_id, started_at, finished_at, as_of, summary)
    return None


def _cycle_files(connection: duckdb.DuckDBPyConnection, run: LastRun, marts_ready: bool) -> list[CycleFile]:
    """Every file version the last run listed, read, replaced or deleted: it set their last_seen."""
    verdicts = "marts.file_validation" if marts_ready else _NO_VERDICTS
    rows = connection.execute(
        f"""
        with files as (
            select * from raw.manifest where last_seen >= ?
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
                when exists (
                    select 1 from raw.manifest as earlier
                    where earlier.data_source = files.data_source and earlier.key = files.key
                      and earlier.status = 'replaced' and earlier.last_seen >= ?
                ) then 'changed'
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
        [run.started_at, run.run_id, run.started_at],
    ).fetchall()
    return [CycleFile(*row) for row in rows]


def _rule_failures(
    connection: duckdb.DuckDBPyConnection, run: LastRun
) -> dict[tuple[str, str, str], list[RuleFailure]]:
    """The errors (not warnings) of the files the last run listed, per file version."""
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
               errors.error_count{samples}
        from marts.validation_errors as errors
        inner join raw.manifest as files
            on files.data_source = errors.data_source_id and files.key = errors.key
            and files.etag = errors.etag
        where errors.severity = 'error' and files.last_seen >= ?
        order by errors.data_source_id, errors.key, errors.etag, errors.rule, errors.column_name
        """,
        [run.started_at],
    ).fetchall()
    failures: dict[tuple[str, str, str], list[RuleFailure]] = {}
    for data_source, key, etag, rule, column_name, count, *sample_values in rows:
        pairs = tuple(
            (sample_values[index], sample_values[index + 1])
            for index in range(0, len(sample_values), 2)
            if sample_values[index] is not None or sample_values[index + 1] is not None
        )
        failures.setdefault((data_source, key, etag), []).append(RuleFailure(rule, column_name, count, pairs))
    return failures


def _costs(connection: duckdb.DuckDBPyConnection) -> list[CurrencyCosts]:
    """Per currency: the table (series x month, with totals) and the chart series, all sums by DuckDB."""
    rows = connection.execute(
        f"""
        with {_COSTS_CTE}
        select
            currency, series_id, data_source, sub_account_name, sub_account_id, billing_month,
            sum(BilledCost), sum(EffectiveCost), sum(x_ChargeCount),
            grouping(series_id) = 0 as per_series,
            grouping(billing_month) = 0 as per_month
        from costs
        group by grouping sets (
            (currency, series_id, data_source, sub_account_name, sub_account_id, billing_month),
            (currency, series_id, data_source, sub_account_name, sub_account_id),
            (currency, billing_month),
            (currency)
        )
        """
    ).fetchall()
    by_currency: dict[str, CurrencyCosts] = {}
    lines: dict[tuple[str, str], CostLine] = {}
    for (
        currency,
        series_id,
        source,
        name,
        sub_id,
        month,
        billed,
        effective,
        charges,
        per_series,
        per_month,
    ) in rows:
        costs = by_currency.setdefault(currency, CurrencyCosts(currency, total=CostLine(None, None, None, None)))
        if per_series:
            line = lines.get((currency, series_id))
            if line is None:
                line = lines[(currency, series_id)] = CostLine(series_id, source, name, sub_id)
                costs.lines.append(line)
        else:
            line = costs.total
        if per_month:
            line.by_month[month] = (billed, effective, charges)
        else:
            line.total = (billed, effective, charges)
        if per_month and not per_series:
            costs.months.append(month)
    for costs in by_currency.values():
        costs.months.sort()
        costs.lines.sort(key=lambda line: (line.data_source or "", -line.total[0], line.series_id or ""))
        costs.chart = _chart_series(connection, costs.currency, lines)
    return [by_currency[currency] for currency in sorted(by_currency)]


def _chart_series(
    connection: duckdb.DuckDBPyConnection, currency: str, lines: dict[tuple[str, str], CostLine]
) -> list[ChartSeries]:
    """The largest sub-accounts by billed cost keep their own colour; the others are summed as "Other"."""
    rows = connection.execute(
        f"""
        with {_COSTS_CTE},
        series_totals as (
            select series_id, sum(BilledCost) as billed
            from costs
            where currency = ?
            group by series_id
        ),
        series_ranked as (
            select
                series_id,
                row_number() over (order by billed desc, series_id) as series_rank,
                count(*) over () as series_count
            from series_totals
        ),
        slotted as (
            select
                costs.*,
                case when series_ranked.series_count <= ? or series_ranked.series_rank < ?
                    then series_ranked.series_rank else ? end as slot,
                series_ranked.series_count
            from costs
            inner join series_ranked
                on series_ranked.series_id = costs.series_id
            where costs.currency = ?
        )
        select slot, billing_month, min(series_id), max(series_count), sum(BilledCost), sum(EffectiveCost)
        from slotted
        group by slot, billing_month
        order by slot, billing_month
        """,
        [currency, CHART_SERIES, CHART_SERIES, CHART_SERIES, currency],
    ).fetchall()
    series: dict[int, ChartSeries] = {}
    for slot, month, series_id, series_count, billed, effective in rows:
        if slot not in series:
            if slot == CHART_SERIES and series_count > CHART_SERIES:
                label = f"Other ({series_count - CHART_SERIES + 1} sub-accounts)"
            else:
                label = _series_label(lines[(currency, series_id)])
            series[slot] = ChartSeries(slot, label, {})
        series[slot].by_month[month] = (billed, effective)
    return list(series.values())


def _series_label(line: CostLine) -> str:
    if line.sub_account_name is None:
        return f"{line.data_source} (no sub-account)"
    return f"{line.data_source} / {line.sub_account_name}"


def read_report_data(database: Path) -> ReportData:
    """Everything the page shows, read from the database read-only."""
    if not database.exists():
        raise FocusIngestError(f"Database {database} does not exist: run `{_RUN_COMMAND}` first.")
    data = ReportData(database=database, generated_at=datetime.now(UTC))
    with state.connect(database, read_only=True) as connection:
        tables = _tables(connection)
        if ("raw", "runs") not in tables or ("raw", "manifest") not in tables:
            return data
        data.last_run = _last_run(connection)
        data.unfinished_runs = connection.execute(
            "select run_id, started_at from raw.runs where finished_at is null order by started_at"
        ).fetchall()
        data.marts_ready = all(("marts", name) in tables for name in REQUIRED_MARTS)
        if data.last_run is not None:
            data.files = _cycle_files(connection, data.last_run, data.marts_ready)
            if data.marts_ready:
                data.failures = _rule_failures(connection, data.last_run)
        if data.marts_ready:
            data.costs = _costs(connection)
    return data


# --- formatting -------------------------------------------------------------------------------------------


def _text(value: object, empty: str = "—") -> str:
    """Escaped text of any value from the database; a missing one shows as a dash."""
    if value is None or value == "":
        return empty
    return html.escape(str(value), quote=True)


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


def _sample(row: int | None, value: str | None) -> str:
    where = "" if row is None else f'<span class="row">row {row:,}</span>: '
    return f"<li>{where}<code>{_text(value, '(empty)')}</code></li>"


def _bytes(size: int | None) -> str:
    return "—" if size is None else human_bytes(size)


def _months_between(first: str, last: str) -> list[str]:
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(start, end + 1)]


def _badge(status: str) -> str:
    return f'<span class="badge {_text(status.replace(" ", "-"))}">{_text(status)}</span>'


# --- the charts -------------------------------------------------------------------------------------------


def _nice_step(span: float) -> float:
    """A 1/2/2.5/5 x 10^n step giving about four grid lines over `span`."""
    raw = span / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def stacked_bar_chart(
    currency: str, metric: str, title: str, months: Sequence[str], series: Sequence[ChartSeries]
) -> str:
    """An inline SVG: one stacked bar per month, positive amounts above zero and credits below it.

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
        return f'<p class="empty">No {_text(title.lower())} in {_text(currency)}.</p>'
    highest = max(sum(float(v) for (_, m), v in values.items() if m == month and v > 0) for month in months)
    lowest = min(sum(float(v) for (_, m), v in values.items() if m == month and v < 0) for month in months)
    step = _nice_step(max(highest - lowest, 1e-9))
    axis_top = math.ceil(max(highest, 0) / step) * step or step
    axis_bottom = math.floor(min(lowest, 0) / step) * step
    scale = plot_height / (axis_top - axis_bottom)

    def y_of(amount: float) -> float:
        return top + (axis_top - amount) * scale

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'data-currency="{_text(currency)}" data-metric="{metric}" '
        f'aria-label="{_text(title)} per month in {_text(currency)}">'
    ]
    ticks = round((axis_top - axis_bottom) / step)
    for index in range(ticks + 1):
        amount = axis_bottom + index * step
        y = y_of(amount)
        parts.append(
            f'<line class="grid{" zero" if abs(amount) < step / 2 else ""}" x1="{left}" x2="{width - right}" '
            f'y1="{y:.2f}" y2="{y:.2f}"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.2f}" text-anchor="end">{amount:,.0f}</text>'
        )
    slot_width = plot_width / len(months)
    bar_width = min(slot_width * 0.62, 90)
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
            parts.append(
                f'<rect class="bar" x="{x:.2f}" y="{y:.2f}" width="{bar_width:.2f}" '
                f'height="{bar_height:.2f}" fill="{_colour(entry.slot)}" '
                f'data-series="{_text(entry.label)}" data-month="{_text(month)}" '
                f'data-value="{amount}"><title>{_text(entry.label)}, {_text(month)}: '
                f"{money(amount)} {_text(currency)}</title></rect>"
            )
        parts.append(
            f'<text class="month" x="{x + bar_width / 2:.2f}" y="{height - 8}" text-anchor="middle">'
            f"{_text(month)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _colour(slot: int) -> str:
    return _OTHER_COLOUR if slot >= CHART_SERIES else _PALETTE[(slot - 1) % len(_PALETTE)]


# --- the sections -----------------------------------------------------------------------------------------


def _header(data: ReportData) -> str:
    run = data.last_run
    if run is None:
        run_line = "No finished run yet."
    else:
        run_line = (
            f"Last run <code>{_text(run.run_id)}</code>, as of {_text(run.as_of)}, "
            f"finished {_text(f'{run.finished_at:%Y-%m-%d %H:%M:%S %Z}')}."
        )
    return (
        "<header><h1>FOCUS cost and ingestion report</h1>"
        f'<p class="meta">Database <code>{_text(data.database)}</code>. {run_line} '
        f"Generated {data.generated_at:%Y-%m-%d %H:%M:%S} UTC.</p>"
        '<nav><a href="#costs">Monthly cost</a><a href="#rejected">Rejected files</a>'
        '<a href="#files">Files of the last run</a><a href="#months">Months</a></nav></header>'
    )


def _notices(data: ReportData) -> str:
    notices = []
    if data.last_run is None:
        notices.append(f"No run has finished on this database yet: run <code>{_RUN_COMMAND}</code>.")
    if not data.marts_ready:
        notices.append(
            f"The marts are not built yet, so there are no costs and no validation results: run "
            f"<code>{_RUN_COMMAND}</code> (it loads the files, then builds the marts with dbt)."
        )
    lagging = sum(1 for file in data.files if file.status == "not validated")
    if data.marts_ready and lagging:
        notices.append(
            f"{lagging} file(s) of the last run are not in the marts yet (the load ran without the dbt "
            f"build, or the build failed): run <code>{_RUN_COMMAND}</code> again."
        )
    for run_id, started_at in data.unfinished_runs:
        notices.append(
            f"Run <code>{_text(run_id)}</code>, started {_text(f'{started_at:%Y-%m-%d %H:%M:%S %Z}')}, "
            "has not finished: it is still running or it died (the next run completes its work)."
        )
    for source in data.last_run.summary.get("sources", []) if data.last_run else []:
        if source.get("failed"):
            notices.append(
                f"Data source <b>{_text(source.get('name'))}</b> failed in the last run and was not read: "
                f"{_text(source['failed'])}"
            )
    return "".join(f'<p class="notice">{notice}</p>' for notice in notices)


def _glance(data: ReportData) -> str:
    tiles = []
    current = [file for file in data.files if file.status not in ("replaced", "deleted")]
    accepted = sum(1 for file in current if file.status == "accepted")
    rejected = sum(1 for file in current if file.status == "rejected")
    tiles.append(("Files in the last run", f"{len(current):,}", f"{accepted:,} accepted · {rejected:,} rejected"))
    if data.last_run is not None:
        processed = sorted(
            {month for source in data.last_run.summary["sources"] for month in source.get("periods_processed", [])}
        )
        skipped = sorted(
            {month for source in data.last_run.summary["sources"] for month in source.get("periods_skipped", [])}
        )
        tiles.append(
            (
                "Months processed",
                f"{len(processed)}",
                (f"{processed[0]} to {processed[-1]}" if processed else "none")
                + (f" · {len(skipped)} skipped" if skipped else ""),
            )
        )
    for costs in data.costs:
        latest = costs.months[-1]
        billed, effective, _ = costs.total.by_month[latest]
        tiles.append(
            (
                f"{costs.currency} billed, {latest}",
                money(billed),
                f"effective {money(effective)} {costs.currency}",
            )
        )
    cells = "".join(
        f'<div class="tile"><div class="label">{_text(label)}</div><div class="value">{_text(value)}</div>'
        f'<div class="sub">{_text(sub)}</div></div>'
        for label, value, sub in tiles
    )
    return f'<section class="glance">{cells}</section>'


def _costs_section(data: ReportData) -> str:
    parts = ['<section id="costs"><h2>Monthly cost per data source and sub-account</h2>']
    if not data.marts_ready:
        parts.append(f'<p class="empty">No costs yet: run <code>{_RUN_COMMAND}</code> to build the marts.</p>')
    elif not data.costs:
        parts.append('<p class="empty">No accepted charges yet: every file is rejected or none was loaded.</p>')
    else:
        parts.append(
            '<p class="hint">From <code>marts.costs_monthly</code>, one block per billing currency '
            "(amounts in different currencies are never added up). Billed cost is what the invoice says; "
            "effective cost spreads commitments and discounts over the usage they cover. Hover a bar for its "
            "exact amount.</p>"
        )
    for costs in data.costs:
        parts.append(f'<div class="currency" data-currency="{_text(costs.currency)}">')
        parts.append(f'<h3>{_text(costs.currency)}</h3><div class="charts">')
        for metric, title in COST_METRICS:
            parts.append(
                f"<figure><figcaption>{_text(title)} ({_text(costs.currency)})</figcaption>"
                f"{stacked_bar_chart(costs.currency, metric, title, costs.months, costs.chart)}</figure>"
            )
        parts.append('</div><ul class="legend">')
        for entry in costs.chart:
            parts.append(
                f'<li><span class="swatch" style="background:{_colour(entry.slot)}"></span>{_text(entry.label)}</li>'
            )
        parts.append("</ul>")
        parts.append(_cost_table(costs))
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _cost_table(costs: CurrencyCosts) -> str:
    month_heads = "".join(f'<th colspan="2" class="month">{_text(month)}</th>' for month in costs.months)
    metric_heads = '<th class="num">Billed</th><th class="num">Effective</th>' * (len(costs.months) + 1)
    head = (
        f'<thead><tr><th rowspan="2">Data source</th><th rowspan="2">Sub-account</th>{month_heads}'
        '<th colspan="2" class="month">All months</th>'
        f'<th rowspan="2" class="num">Charges</th></tr><tr>{metric_heads}</tr></thead>'
    )

    def cells(line: CostLine) -> str:
        out = []
        for month in costs.months:
            billed, effective, _ = line.by_month.get(month, (None, None, 0))
            out.append(
                f'<td class="num" data-month="{_text(month)}" data-metric="BilledCost">'
                f"{money(billed)}</td>"
                f'<td class="num" data-month="{_text(month)}" data-metric="EffectiveCost">'
                f"{money(effective)}</td>"
            )
        billed, effective, charges = line.total
        out.append(
            f'<td class="num" data-month="all" data-metric="BilledCost">{money(billed)}</td>'
            f'<td class="num" data-month="all" data-metric="EffectiveCost">{money(effective)}</td>'
            f'<td class="num">{_count(charges)}</td>'
        )
        return "".join(out)

    body = "".join(
        f'<tr data-series="{_text(line.series_id)}"><td>{_text(line.data_source)}</td>'
        f"<td>{_text(line.sub_account_name, '(no sub-account)')}"
        f'<div class="id">{_text(line.sub_account_id, "")}</div></td>{cells(line)}</tr>'
        for line in costs.lines
    )
    total = f'<tr class="total"><td colspan="2">Total {_text(costs.currency)}</td>{cells(costs.total)}</tr>'
    return (
        f'<div class="scroll"><table class="costs" data-currency="{_text(costs.currency)}">{head}'
        f"<tbody>{body}</tbody><tfoot>{total}</tfoot></table></div>"
    )


def _rejected_section(data: ReportData) -> str:
    parts = ['<section id="rejected"><h2>Rejected files</h2>']
    rejected = [file for file in data.files if file.status == "rejected"]
    if data.last_run is None:
        parts.append(f'<p class="empty">No run yet: run <code>{_RUN_COMMAND}</code>.</p>')
    elif not rejected:
        parts.append('<p class="empty ok">No rejected files in the last run.</p>')
    else:
        parts.append(
            '<p class="hint">None of the rows of these files is in the costs. Fix the file and upload it '
            "again under the same name: the next run reads it again. Row numbers count data records after "
            "the header.</p>"
        )
    for file in rejected:
        parts.append(
            f'<article class="rejected" data-key="{_text(file.key)}"><h3><code>{_text(file.key)}</code></h3>'
            f'<p class="meta">Data source {_text(file.data_source)} · month {_text(file.billing_month)} · '
            f"{'unreadable' if file.row_count is None else _quantity(file.row_count, 'row') + ' read'} · "
            f"{_quantity(file.error_count, 'error')}</p>"
            f'<p class="reason">{_text(file.reason, "no reason recorded")}</p>'
        )
        failures = data.failures.get((file.data_source, file.key, file.etag), [])
        if failures:
            parts.append(
                '<table class="errors"><thead><tr><th>Rule</th><th>Column</th><th class="num">Rows</th>'
                "<th>Samples</th></tr></thead><tbody>"
            )
            for failure in failures:
                samples = "".join(_sample(row, value) for row, value in failure.samples)
                parts.append(
                    f'<tr data-rule="{_text(failure.rule)}"><td><code>{_text(failure.rule)}</code></td>'
                    f"<td>{_text(failure.column_name, '(file)')}</td>"
                    f'<td class="num">{_count(failure.count)}</td>'
                    f'<td><ul class="samples">{samples}</ul></td></tr>'
                )
            parts.append("</tbody></table>")
        parts.append("</article>")
    parts.append("</section>")
    return "".join(parts)


def _files_section(data: ReportData) -> str:
    parts = ['<section id="files"><h2>Files of the last run</h2>']
    if not data.files:
        parts.append(f'<p class="empty">No files were listed by the last run. Run <code>{_RUN_COMMAND}</code>.</p>')
        parts.append("</section>")
        return "".join(parts)
    parts.append(
        '<p class="hint">Every file version the last run listed. <i>new</i> and <i>changed</i> files were '
        "read by this run, <i>unchanged</i> ones were read before; <i>replaced</i> is the older version of a "
        "changed file, <i>deleted</i> a file that disappeared from its month folder.</p>"
    )
    parts.append(
        '<div class="scroll"><table class="files"><thead><tr><th>Data source</th><th>Month</th><th>File</th>'
        '<th>Status</th><th>This run</th><th class="num">Rows</th><th class="num">Size</th>'
        '<th class="num">Errors</th><th class="num">Warnings</th></tr></thead><tbody>'
    )
    for file in data.files:
        parts.append(
            f'<tr data-key="{_text(file.key)}" data-status="{_text(file.status)}" '
            f'data-activity="{_text(file.activity)}">'
            f"<td>{_text(file.data_source)}</td>"
            f"<td>{_text(file.billing_month)}</td><td><code>{_text(file.key)}</code></td>"
            f"<td>{_badge(file.status)}</td><td>{_text(file.activity)}</td>"
            f'<td class="num">{_count(file.row_count)}</td><td class="num">{_bytes(file.size)}</td>'
            f'<td class="num">{_count(file.error_count)}</td>'
            f'<td class="num">{_count(file.warning_count)}</td></tr>'
        )
    parts.append("</tbody></table></div></section>")
    return "".join(parts)


def _months_section(data: ReportData) -> str:
    parts = ['<section id="months"><h2>Months</h2>']
    run = data.last_run
    if run is None:
        parts.append(f'<p class="empty">No run yet: run <code>{_RUN_COMMAND}</code>.</p></section>')
        return "".join(parts)
    summary = run.summary
    window = _months_between(summary["first_month"], f"{run.as_of:%Y-%m}")
    parts.append(
        f'<p class="hint">The last run covered {_text(window[0])} to {_text(window[-1])} (as of '
        f"{_text(run.as_of)}). Month folders before the window are skipped: load them with "
        "<code>--backfill-from YYYY-MM</code>.</p>"
    )
    for source in summary["sources"]:
        processed = set(source.get("periods_processed", []))
        skipped = source.get("periods_skipped", [])
        chips = "".join(
            f'<li class="{"processed" if month in processed else "missing"}" data-month="{_text(month)}">'
            f"{_text(month)}<span>{'processed' if month in processed else 'no folder'}</span></li>"
            for month in window
        )
        skipped_chips = "".join(
            f'<li class="skipped" data-month="{_text(month)}">{_text(month)}<span>skipped</span></li>'
            for month in skipped
        )
        parts.append(
            f'<div class="source" data-source="{_text(source.get("name"))}"><h3>{_text(source.get("name"))} '
            f"<small><code>{_text(source.get('location'))}</code></small></h3>"
            f'<ul class="months">{skipped_chips}{chips}</ul>'
        )
        if source.get("failed"):
            parts.append(f'<p class="notice">Failed: {_text(source["failed"])}</p>')
        problems = [
            *(("unreadable", entry.get("key"), entry.get("reason")) for entry in source.get("unreadable", [])),
            *(("ignored", entry.get("key"), entry.get("reason")) for entry in source.get("ignored", [])),
            *(("retry next run", entry.get("key"), entry.get("reason")) for entry in source.get("retry", [])),
        ]
        if problems:
            parts.append(
                '<table class="objects"><thead><tr><th>Object</th><th>What happened</th><th>Why</th>'
                "</tr></thead>"
                "<tbody>"
                + "".join(
                    f"<tr><td><code>{_text(key)}</code></td><td>{_text(kind)}</td><td>{_text(reason)}</td></tr>"
                    for kind, key, reason in problems
                )
                + "</tbody></table>"
            )
        hidden = source.get("files_ignored", 0) - len(source.get("ignored", []))
        if hidden > 0:
            parts.append(f'<p class="hint">… and {hidden:,} more ignored objects.</p>')
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


_STYLE = """
:root { color-scheme: light; --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 36px 0 8px;
  border-bottom: 2px solid var(--line); padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
code { font: 12.5px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
.meta, .hint { color: var(--muted); margin: 4px 0; } small { color: var(--muted); font-weight: normal; }
nav a { margin-right: 16px; color: #2f5f98; }
.notice { background: #fff4e5; border-left: 4px solid #f0a020; padding: 8px 12px; margin: 10px 0; }
.empty { background: var(--bg); padding: 12px 14px; border-radius: 6px; color: var(--muted); }
.empty.ok { background: #eaf6ec; color: #21653a; }
.glance { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 18px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 190px; }
.tile .label { color: var(--muted); font-size: 12px; } .tile .value { font-size: 22px; font-weight: 600;
  font-variant-numeric: tabular-nums; } .tile .sub { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
svg .grid { stroke: #e6e9ee; stroke-width: 1; } svg .grid.zero { stroke: #8a94a3; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); } svg .month { fill: var(--ink); }
svg rect.bar { stroke: #fff; stroke-width: 0.5; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0 12px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px;
  vertical-align: -1px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; white-space: nowrap; } th.month { text-align: center; }
td.num, th.num { text-align: right; white-space: nowrap; } .id { color: var(--muted); font-size: 11px; }
tbody tr:nth-child(even) { background: #fbfcfd; }
tfoot td { font-weight: 600; border-top: 2px solid #aab3bf; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: #e8ebef; }
.badge.accepted { background: #dff3e4; color: #1d6b36; }
.badge.rejected { background: #fde2e1; color: #a3201a; }
.badge.not-validated { background: #fff0d6; color: #8a5a00; }
article.rejected { border: 1px solid #f3c2bf; border-left: 4px solid #d9463e; border-radius: 6px;
  padding: 4px 14px 8px; margin: 12px 0; }
article.rejected h3 { margin-top: 8px; } .reason { font-weight: 600; }
.samples { list-style: none; margin: 0; padding: 0; } .samples .row { color: var(--muted); }
.months { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 8px; }
.months li { border-radius: 6px; padding: 4px 10px; font-weight: 600; }
.months li span { display: block; font-weight: normal; font-size: 11px; }
.months .processed { background: #dff3e4; } .months .missing { background: #fff0d6; }
.months .skipped { background: #e8ebef; color: var(--muted); }
"""

# No script and no request may run or leave the page, whatever a file name or value contains.
_CONTENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_report(data: ReportData) -> str:
    """The whole page as one HTML string."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CONTENT_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>focus-ingest report</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"{_header(data)}{_notices(data)}{_glance(data)}{_costs_section(data)}{_rejected_section(data)}"
        f"{_files_section(data)}{_months_section(data)}"
        "</body></html>\n"
    )


def write_report(database: Path, output: Path) -> Path:
    """Write the report of `database` to `output` (one self-contained HTML file); returns `output`."""
    data = read_report_data(database)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_report(data), encoding="utf-8")
    logger.info("report written to %s", output)
    return output
