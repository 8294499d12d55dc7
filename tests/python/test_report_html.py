"""`focus-ingest report`: the HTML page a FinOps lead opens after a run, checked against the marts.

The database is built by the real pipeline (`focus-ingest run`: loader, then dbt build) on the demo tree
plus a few hostile and broken objects, twice: a first cycle with rejected files, then a second one after
the producers fixed or removed them. The pipeline runs in a child process, as it does for users: dbt-duckdb
keeps its read-write DuckDB instance open in the process that built, and DuckDB then refuses the read-only
instance the report opens. The page is checked as HTML, then rendered in a real headless Chromium.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pytest
from dlt.destinations.job_client_impl import SqlJobClientBase

from focus_ingest.cli import main
from focus_ingest.errors import FocusIngestError
from focus_ingest.report_html import money, write_report
from focus_ingest.sample_data import generate_table, write_csv, write_demo_tree, write_month_files

if TYPE_CHECKING:
    from playwright.sync_api import Page as BrowserPage

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

REPO_ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2025, 3, 15)
WINDOW = ["2025-01", "2025-02", "2025-03"]
SKIPPED_MONTH = "2024-11"
BAD_CURRENCY_KEY = "2025-03/focus-2025-03-bad-currency.csv"
UNREADABLE_KEY = "2025-02/truncated.csv.gz"
# Markup in every kind of untrusted text the page shows: a file name (no slash possible inside), an error
# sample (a BillingCurrency value), a SubAccountName and a ServiceName. Each would run or load if not escaped.
HOSTILE_REJECTED_KEY = '2025-03/"><img src=x onerror=alert(1)><script>alert(11)<.csv'
HOSTILE_IGNORED_KEY = "2025-03/<script>alert(1)</script>.csv"  # on disk a sub-folder, so ignored as too deep
HOSTILE_CURRENCY = '<script>alert(2)</script>"><img src=x onerror=alert(12)>'
HOSTILE_SUB_ACCOUNT = '<script>alert("sub")</script>"><img src=x onerror=alert(13)>'
HOSTILE_SERVICE = '<script>alert("service")</script>"><img src=x onerror=alert(14)>'
# BilledCost of the first row of the hostile service: with it, it is the largest USD service, so the page
# names it instead of summing it into "Other".
HOSTILE_SERVICE_BILLED = "1000.005"
CHART_SERIES = 9  # the default of the var report_chart_series of the marts report_costs_by_*
BREAKDOWNS = {"sub-accounts": "report_costs_by_sub_account", "services": "report_costs_by_service"}
EXTRA_KEY = "2025-03/extra-accounts.csv"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --- building the database with the real pipeline ---------------------------------------------------------


def hostile_rejected_table(broken: bool) -> pa.Table:
    """Twenty valid rows; when `broken`, two of them carry a script tag as BillingCurrency."""
    table = generate_table("2025-03", 20, 7, part=8, first_id=6000)
    if not broken:
        return table
    currencies = table["BillingCurrency"].to_pylist()
    currencies[0] = currencies[5] = HOSTILE_CURRENCY
    return table.set_column(table.schema.get_field_index("BillingCurrency"), "BillingCurrency", [currencies])


def write_source_tree(root: Path) -> None:
    """The demo tree, plus what a real bucket also holds: hostile names, a broken gzip, an old month."""
    write_demo_tree(root, AS_OF)
    write_csv(hostile_rejected_table(broken=True), root / HOSTILE_REJECTED_KEY)
    extra = generate_table("2025-03", 20, 7, part=9, first_id=7000)
    names = pa.array([HOSTILE_SUB_ACCOUNT] * extra.num_rows)
    services = pa.array([HOSTILE_SERVICE] * extra.num_rows)
    billed = pa.array([HOSTILE_SERVICE_BILLED, *extra["BilledCost"].to_pylist()[1:]])
    extra = extra.set_column(extra.schema.get_field_index("SubAccountName"), "SubAccountName", names)
    extra = extra.set_column(extra.schema.get_field_index("ServiceName"), "ServiceName", services)
    write_csv(extra.set_column(extra.schema.get_field_index("BilledCost"), "BilledCost", billed), root / EXTRA_KEY)
    (root / HOSTILE_IGNORED_KEY).parent.mkdir(parents=True)
    shutil.copy(root / EXTRA_KEY, root / HOSTILE_IGNORED_KEY)
    (root / UNREADABLE_KEY).write_bytes(gzip.compress(b'"BilledCost"\n1\n' * 50)[:30])
    write_month_files(root, SKIPPED_MONTH, 1, 5, 2024)


def run_pipeline(source: Path, database: Path) -> None:
    """`focus-ingest run` in a child process (see the module docstring)."""
    command = [
        sys.executable,
        "-m",
        "focus_ingest.cli",
        "run",
        "--source",
        str(source),
        "--database",
        str(database),
    ]
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    result = subprocess.run(
        [*command, "--as-of", AS_OF.isoformat(), "--quiet"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@dataclass(frozen=True)
class Cycles:
    """Two states of one database: after the first run and after the producers' fixes."""

    first: Path
    second: Path


@pytest.fixture(scope="module")
def cycles(tmp_path_factory: pytest.TempPathFactory) -> Cycles:
    work = tmp_path_factory.mktemp("report")
    source, database = work / "bucket", work / "focus.duckdb"
    write_source_tree(source)
    run_pipeline(source, database)
    first = work / "first.duckdb"
    shutil.copy(database, first)

    (source / BAD_CURRENCY_KEY).unlink()
    (source / UNREADABLE_KEY).unlink()
    write_csv(hostile_rejected_table(broken=False), source / HOSTILE_REJECTED_KEY)
    run_pipeline(source, database)
    return Cycles(first=first, second=database)


@pytest.fixture(scope="module")
def first_report(cycles: Cycles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(cycles.first, tmp_path_factory.mktemp("first") / "report.html")


def query(database: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


# --- reading the page -------------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""


class Page(HTMLParser):
    """Every element of a page with its attributes and its whole text (entities decoded)."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[tuple[Element, list[str]]] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append((element, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            element, parts = self._open.pop()
            element.text = "".join(parts)
            if element.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, parts in self._open:
            parts.append(data)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
        return [
            element
            for element in self.elements
            if element.tag == tag and all(element.attrs.get(name) == value for name, value in wanted.items())
        ]

    def one(self, tag: str, **attrs: str) -> Element:
        found = self.find(tag, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag}> with {attrs}"
        return found[0]


def read_page(path: Path) -> tuple[str, Page]:
    source = path.read_text(encoding="utf-8")
    return source, Page(source)


def shown(amount: Decimal) -> str:
    """How the page must show an amount DuckDB already rounded to cents."""
    return f"{amount:,.2f}"


# --- the page as HTML -------------------------------------------------------------------------------------


def test_money_has_thousands_separators_and_rounds_half_away_from_zero() -> None:
    assert money(Decimal("1234567.885")) == "1,234,567.89"
    assert money(Decimal("-0.005")) == "-0.01"
    assert money(Decimal("0.004999999999")) == "0.00"
    assert money(Decimal("0E-18")) == "0.00"
    assert money(None) == "—"


def test_page_is_self_contained_with_every_section(first_report: Path) -> None:
    source, page = read_page(first_report)
    for section in ("costs", "rejected", "files", "months"):
        assert page.find("section", id=section), section
    assert not page.find("script") and not page.find("link") and not page.find("img")
    assert "http://" not in source and "https://" not in source and "url(" not in source
    policy = page.one("meta", http_equiv="Content-Security-Policy").attrs["content"] or ""
    assert "default-src 'none'" in policy


def test_cost_tables_equal_the_sums_of_the_charges(cycles: Cycles, first_report: Path) -> None:
    _, page = read_page(first_report)
    per_cell = query(
        cycles.first,
        """
        select BillingCurrency, coalesce(x_SubAccountDataSourceId, x_DataSourceId), x_BillingMonth,
               round(sum(BilledCost), 2), round(sum(EffectiveCost), 2)
        from marts.focus_charges group by all
        """,
    )
    assert len(per_cell) > 100
    tables = {
        table.attrs["data-currency"] for table in page.find("table", class_="costs", data_breakdown="sub-accounts")
    }
    assert tables == {currency for currency, *_ in per_cell} == {"USD", "EUR"}
    rows = {row.attrs.get("data-series") for row in page.find("tr") if "data-series" in row.attrs}
    assert {series for _, series, *_ in per_cell} <= rows
    # Each cell of a row is found through its own row: the cells of the page are in document order.
    row_cells = cells_by_row(page)
    for currency, series, month, billed, effective in per_cell:
        cells = row_cells[("sub-accounts", currency, series)]
        assert cells[(month, "BilledCost")].text == shown(billed), (currency, series, month)
        assert cells[(month, "EffectiveCost")].text == shown(effective), (currency, series, month)

    totals = query(
        cycles.first,
        """
        select BillingCurrency, coalesce(x_BillingMonth, 'all'), round(sum(BilledCost), 2),
               round(sum(EffectiveCost), 2)
        from marts.focus_charges group by grouping sets ((BillingCurrency, x_BillingMonth), (BillingCurrency))
        """,
    )
    for currency, month, billed, effective in totals:
        cells = row_cells[("sub-accounts", currency, "total")]
        assert cells[(month, "BilledCost")].text == shown(billed), (currency, month)
        assert cells[(month, "EffectiveCost")].text == shown(effective), (currency, month)


def cells_by_row(page: Page) -> dict[tuple[str, str, str], dict[tuple[str, str], Element]]:
    """(breakdown, currency, series id or "total") -> (month or "all", metric) -> the cell."""
    result: dict[tuple[str, str, str], dict[tuple[str, str], Element]] = {}
    breakdown, currency, row = "", "", ""
    for element in page.elements:
        if element.tag == "table":
            is_costs = "costs" in (element.attrs.get("class") or "").split()
            breakdown = (element.attrs.get("data-breakdown") or "") if is_costs else ""
            currency = (element.attrs.get("data-currency") or "") if is_costs else ""
        elif element.tag == "tr" and currency:
            row = element.attrs.get("data-series") or (
                "total" if element.attrs.get("class") == "total" else ""
            )
        elif element.tag == "td" and currency and row and "data-metric" in element.attrs:
            key = (element.attrs["data-month"] or "", element.attrs["data-metric"] or "")
            result.setdefault((breakdown, currency, row), {})[key] = element
    return result


def test_service_tables_equal_the_charges_per_currency_exactly(cycles: Cycles, first_report: Path) -> None:
    """The "Costs by service" totals are the exact sums of BilledCost (and EffectiveCost) of focus_charges,
    per currency and month and over all months; each cell carries the exact sum and shows it in cents."""
    _, page = read_page(first_report)
    row_cells = cells_by_row(page)
    totals = query(
        cycles.first,
        """
        select BillingCurrency, coalesce(x_BillingMonth, 'all'), sum(BilledCost), round(sum(BilledCost), 2),
               sum(EffectiveCost), round(sum(EffectiveCost), 2)
        from marts.focus_charges group by grouping sets ((BillingCurrency, x_BillingMonth), (BillingCurrency))
        """,
    )
    assert {currency for currency, *_ in totals} == {"USD", "EUR"}
    for currency, month, billed, billed_cents, effective, effective_cents in totals:
        cells = row_cells[("services", currency, "total")]
        assert Decimal(cells[(month, "BilledCost")].attrs["data-value"] or "") == billed, (currency, month)
        assert cells[(month, "BilledCost")].text == shown(billed_cents), (currency, month)
        assert Decimal(cells[(month, "EffectiveCost")].attrs["data-value"] or "") == effective, (currency, month)
        assert cells[(month, "EffectiveCost")].text == shown(effective_cents), (currency, month)
        rows = [cells for (breakdown, row_currency, row), cells in row_cells.items()
                if (breakdown, row_currency) == ("services", currency) and row != "total"]  # fmt: skip
        in_rows = sum(Decimal(row[(month, "BilledCost")].attrs.get("data-value") or 0) for row in rows)
        assert in_rows == billed, (currency, month)  # the rows add up to the total: no service twice or lost


def test_charts_carry_every_amount_of_every_month(cycles: Cycles, first_report: Path) -> None:
    _, page = read_page(first_report)
    charts = page.find("svg", class_="chart")
    assert sorted((chart.attrs["data-breakdown"], chart.attrs["data-currency"], chart.attrs["data-metric"])
                  for chart in charts) == sorted(
        (breakdown, currency, metric)
        for breakdown in BREAKDOWNS for currency in ("EUR", "USD") for metric in ("BilledCost", "EffectiveCost")
    )  # fmt: skip
    month_totals = {
        (breakdown, currency, month, metric): amount
        for breakdown in BREAKDOWNS
        for currency, month, billed, effective in query(
            cycles.first,
            "select BillingCurrency, x_BillingMonth, sum(BilledCost), sum(EffectiveCost) "
            "from marts.focus_charges group by all",
        )
        for metric, amount in (("BilledCost", billed), ("EffectiveCost", effective))
    }
    charted: dict[tuple[str, str, str, str], Decimal] = {}
    for breakdown, currency, metric, bar in chart_bars(page):
        key = (breakdown, currency, bar.attrs["data-month"] or "", metric)
        charted[key] = charted.get(key, Decimal(0)) + Decimal(bar.attrs["data-value"] or "")
        assert Decimal(bar.attrs["data-value"] or "") != 0
        assert float(bar.attrs["height"] or 0) > 0 and float(bar.attrs["width"] or 0) > 0
    assert charted == month_totals

    series_count = dict(
        query(
            cycles.first,
            "select BillingCurrency, count(distinct coalesce(x_SubAccountDataSourceId, x_DataSourceId)) "
            "from marts.focus_charges group by all",
        )
    )
    assert series_count["USD"] > CHART_SERIES  # so the USD charts show the largest ones and "Other"
    usd_bars = [
        bar for breakdown, currency, _, bar in chart_bars(page) if (breakdown, currency) == ("sub-accounts", "USD")
    ]
    usd_series = {bar.attrs["data-series"] for bar in usd_bars}
    assert len(usd_series) == CHART_SERIES and any(name.startswith("Other (") for name in usd_series if name)
    # One bar per slot and month with an amount, in each chart (the hostile sub-account bills in March only).
    (with_amounts,) = query(
        cycles.first,
        """
        select count(*) filter (where billed <> 0) + count(*) filter (where effective <> 0)
        from (
            select sum(BilledCost) as billed, sum(EffectiveCost) as effective
            from marts.report_costs_by_sub_account where BillingCurrency = 'USD' group by x_ChartSlot, x_BillingMonth
        )
        """,
    )[0]
    assert len(usd_bars) == with_amounts > 2 * (len(WINDOW) - 1) * CHART_SERIES
    legend = [item.text for item in page.find("li") if item.text in usd_series]
    assert len(legend) == CHART_SERIES

    service_count = dict(query(cycles.first, "select BillingCurrency, count(distinct ServiceName) "
                               "from marts.focus_charges group by all"))  # fmt: skip
    assert service_count["USD"] > CHART_SERIES  # so the USD service charts show the largest ones and "Other"
    usd_services = {bar.attrs["data-series"] for breakdown, currency, _, bar in chart_bars(page)
                    if (breakdown, currency) == ("services", "USD")}  # fmt: skip
    assert len(usd_services) == CHART_SERIES
    assert f"Other ({service_count['USD'] - CHART_SERIES + 1} services)" in usd_services
    assert HOSTILE_SERVICE in usd_services


def chart_bars(page: Page) -> list[tuple[str, str, str, Element]]:
    """(breakdown, currency, metric, rect) of every bar, in document order."""
    bars, breakdown, currency, metric = [], "", "", ""
    for element in page.elements:
        if element.tag == "svg":
            breakdown = element.attrs["data-breakdown"] or ""
            currency, metric = element.attrs["data-currency"] or "", element.attrs["data-metric"] or ""
        elif element.tag == "rect" and element.attrs.get("class") == "bar":
            bars.append((breakdown, currency, metric, element))
    return bars


def test_rejected_files_show_their_rules_and_samples(first_report: Path) -> None:
    _, page = read_page(first_report)
    rejected = {
        article.attrs["data-key"]: article.text for article in page.find("article", class_="rejected")
    }
    assert set(rejected) == {BAD_CURRENCY_KEY, HOSTILE_REJECTED_KEY, UNREADABLE_KEY}
    bad = rejected[BAD_CURRENCY_KEY]
    assert "currency_code" in bad and "BillingCurrency" in bad and "US$" in bad
    assert "BillingCurrency is not an ISO 4217 currency code in 2 row(s), first at row 1: 'US$'" in bad
    assert HOSTILE_CURRENCY in rejected[HOSTILE_REJECTED_KEY]
    assert "gzip" in rejected[UNREADABLE_KEY]
    rules = {row.attrs["data-rule"] for row in page.find("tr") if "data-rule" in row.attrs}
    assert {"currency_code", "readable_file"} <= rules


def test_files_of_the_last_run_have_the_status_of_the_marts(cycles: Cycles, first_report: Path) -> None:
    _, page = read_page(first_report)
    shown_files = {
        row.attrs["data-key"]: row.attrs["data-status"]
        for row in page.find("tr")
        if "data-status" in row.attrs
    }
    assert shown_files == dict(query(cycles.first, "select key, status from marts.file_validation"))
    assert shown_files[BAD_CURRENCY_KEY] == shown_files[UNREADABLE_KEY] == "rejected"
    assert shown_files["2025-01/focus-2025-01-1.csv"] == "accepted"
    assert not any(key.startswith(SKIPPED_MONTH) for key in shown_files)


def test_months_of_the_window_and_the_skipped_ones(first_report: Path) -> None:
    _, page = read_page(first_report)
    months = {
        chip.attrs["data-month"]: chip.attrs["class"]
        for chip in page.find("li")
        if "data-month" in chip.attrs
    }
    assert months == {**dict.fromkeys(WINDOW, "processed"), SKIPPED_MONTH: "skipped"}
    ignored = [row.text for row in page.find("tr") if HOSTILE_IGNORED_KEY in row.text]
    assert ignored and "nested too deep" in ignored[0]


def test_untrusted_names_and_values_are_text(cycles: Cycles, first_report: Path) -> None:
    source, page = read_page(first_report)
    assert "<script" not in source.lower() and "<img" not in source.lower()
    for hostile in (HOSTILE_REJECTED_KEY, HOSTILE_IGNORED_KEY, HOSTILE_CURRENCY, HOSTILE_SUB_ACCOUNT, HOSTILE_SERVICE):
        assert hostile not in source, hostile  # only escaped
        assert any(hostile in element.text for element in page.elements), hostile
    # The hostile service has its own row of the service table (as text), and its own chart series.
    service_rows = [row for row in page.find("tr") if row.text.startswith(HOSTILE_SERVICE)]
    assert len(service_rows) == 1 and "Other (" not in service_rows[0].text
    assert any(bar.attrs["data-series"] == HOSTILE_SERVICE for breakdown, _, _, bar in chart_bars(page)
               if breakdown == "services")  # fmt: skip
    assert query(cycles.first, "select count(*) from marts.focus_charges where ServiceName = ?", [HOSTILE_SERVICE])[
        0
    ][0] == 20


def test_rejected_files_say_how_to_fix_each_rule(cycles: Cycles, first_report: Path) -> None:
    _, page = read_page(first_report)
    fixes = dict(query(cycles.first, "select rule, how_to_fix from reference.validation_rules"))
    rows = [element for element in page.elements if element.tag == "tr" and "data-rule" in element.attrs]
    assert {row.attrs["data-rule"] for row in rows} >= {"currency_code", "readable_file"}
    for row in rows:
        assert fixes[row.attrs["data-rule"]] in row.text, row.attrs["data-rule"]
    assert "Export the file again as UTF-8" in page.one("article", data_key=UNREADABLE_KEY).text


def test_child_data_source_ids_have_one_slash(cycles: Cycles) -> None:
    children = query(cycles.first, "select data_source_id, parent_id, sub_account_id from marts.data_sources "
                     "where parent_id is not null")  # fmt: skip
    azure = [(child, parent) for child, parent, sub_account in children if sub_account.startswith("/subscriptions/")]
    assert azure and all(child.startswith(f"{parent}/subscriptions/") for child, parent in azure)
    assert all("//" not in child for child, _, _ in children)
    assert all(child == f"{parent}/{sub_account.lstrip('/')}" for child, parent, sub_account in children)


def test_chart_grouping_is_the_marts(cycles: Cycles) -> None:
    slots = query(
        cycles.first,
        """
        select BillingCurrency, x_ChartSlot, count(distinct x_ChartSeries), count(distinct x_DataSourceId),
               bool_and(x_IsOtherSeries), min(x_ChartSeries)
        from marts.report_costs_by_sub_account group by all order by all
        """,
    )
    series = dict(query(cycles.first, "select BillingCurrency, count(distinct x_DataSourceId) "
                        "from marts.report_costs_by_sub_account group by all"))  # fmt: skip
    assert series["USD"] > CHART_SERIES
    for currency, slot, labels, members, is_other, label in slots:
        assert labels == 1 and 1 <= slot <= CHART_SERIES
        if slot == CHART_SERIES and series[currency] > CHART_SERIES:
            assert is_other and members == series[currency] - CHART_SERIES + 1
            assert label == f"Other ({members} sub-accounts)"
        else:
            assert not is_other and members == 1


def test_service_grouping_is_the_top_services_of_the_charges(cycles: Cycles) -> None:
    """Recomputed from focus_charges in Python: per currency the services by billed cost (ties by name), the
    largest in their own slot, the rest in the last slot as "Other (n services)"."""
    billed = query(cycles.first, "select BillingCurrency, ServiceName, sum(BilledCost) from marts.focus_charges "
                   "group by all")  # fmt: skip
    expected: dict[tuple[str, int], tuple[str, bool, Decimal]] = {}
    for currency in {currency for currency, _, _ in billed}:
        ranked = sorted(((-amount, name) for row_currency, name, amount in billed if row_currency == currency))
        grouped = len(ranked) > CHART_SERIES
        for rank, (amount, name) in enumerate(ranked, start=1):
            if grouped and rank >= CHART_SERIES:
                total = expected.get((currency, CHART_SERIES), ("", True, Decimal(0)))[2]
                label = f"Other ({len(ranked) - CHART_SERIES + 1} services)"
                expected[(currency, CHART_SERIES)] = (label, True, total - amount)
            else:
                expected[(currency, rank)] = (name, False, -amount)
    assert any(other for _, other, _ in expected.values())
    groups = query(
        cycles.first,
        """
        select BillingCurrency, x_ChartSlot, any_value(x_ChartSeries), count(distinct x_ChartSeries),
               bool_and(x_IsOtherSeries), sum(BilledCost), bool_and(ServiceName is not distinct from
               case when x_IsOtherSeries then null else x_ChartSeries end)
        from marts.report_costs_by_service group by all
        """,
    )
    assert all(labels == 1 and names_match for *_, labels, _, _, names_match in groups)
    assert {(currency, slot): (label, other, total) for currency, slot, label, _, other, total, _ in groups} == expected


def test_second_run_after_the_fixes(cycles: Cycles, tmp_path: Path) -> None:
    _, page = read_page(write_report(cycles.second, tmp_path / "report.html"))
    assert "No rejected files in the last run." in page.one("section", id="rejected").text
    files: dict[str, set[tuple[str | None, str | None]]] = {}
    for row in page.find("tr"):
        if "data-status" in row.attrs:
            files.setdefault(row.attrs["data-key"] or "", set()).add(
                (row.attrs["data-status"], row.attrs["data-activity"])
            )
    assert files.pop(HOSTILE_REJECTED_KEY) == {("accepted", "changed"), ("replaced", "replaced")}
    assert files.pop(BAD_CURRENCY_KEY) == files.pop(UNREADABLE_KEY) == {("deleted", "deleted")}
    assert len(files) == 7 and all(versions == {("accepted", "unchanged")} for versions in files.values())
    assert not page.find("p", class_="notice")


def test_changes_show_every_restated_month_exactly(cycles: Cycles, tmp_path: Path) -> None:
    """The second run removed and rewrote files of March: its versions and largest changes are on the page,
    with the marts' exact amounts; the first run restated nothing."""
    _, first_page = read_page(write_report(cycles.first, tmp_path / "first.html"))
    assert "No month was restated" in first_page.one("section", id="changes").text
    _, page = read_page(write_report(cycles.second, tmp_path / "second.html"))
    versions = query(
        cycles.second,
        """select data_source_id, billing_month, version_number, billed_cost from marts.month_versions
        where (data_source_id, billing_month) in (
            select (data_source_id, billing_month) from marts.month_versions where version_number > 1)
        order by all""",
    )
    assert versions, "the second run restates a month"
    blocks = page.find("div", class_="restated")
    assert {(block.attrs["data-source"], block.attrs["data-month"]) for block in blocks} == {
        (source, month) for source, month, *_ in versions
    }
    version_cells = {
        element.attrs["data-value"]
        for element in page.find("td", class_="num")
        if element.attrs.get("data-value") is not None
    }
    assert {str(billed) for *_, billed in versions} <= version_cells
    largest = query(
        cycles.second,
        "select billed_cost_change from marts.month_changes order by abs(billed_cost_change) desc limit 10",
    )
    assert {str(change) for (change,) in largest} <= version_cells
    assert len(page.find("table", class_="changes")) == len(blocks)
    (changes_shown,) = query(
        cycles.second,
        "select coalesce(sum(least(changes, 10)), 0) from (select count(*) as changes from marts.month_changes "
        "group by data_source_id, billing_month)",
    )[0]
    version_rows = [row for row in page.find("tr") if row.attrs.get("data-version") is not None]
    assert len(version_rows) == len(versions) + changes_shown


def test_database_built_before_the_service_mart_shows_the_rest(cycles: Cycles, tmp_path: Path) -> None:
    """A database an earlier version built has no marts.report_costs_by_service until its next build."""
    database = tmp_path / "older.duckdb"
    shutil.copy(cycles.first, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute("drop table marts.report_costs_by_service")
    _, page = read_page(write_report(database, tmp_path / "report.html"))
    services = page.one("section", id="services").text
    assert "built by an earlier version" in services and "run focus-ingest run" in services
    assert not page.find("table", class_="costs", data_breakdown="services")
    assert {table.attrs["data-currency"] for table in page.find("table", data_breakdown="sub-accounts")} == {
        "EUR",
        "USD",
    }
    assert page.find("article", class_="rejected")


def test_load_without_build_says_to_run_the_build(tmp_path: Path) -> None:
    source, database = tmp_path / "bucket", tmp_path / "focus.duckdb"
    write_month_files(source, "2025-03", 1, 5, 2024)
    assert (
        main(["load", "--source", str(source), "--database", str(database), "--as-of", "2025-03-15", "-q"])
        == 0
    )
    _, page = read_page(write_report(database, tmp_path / "report.html"))
    assert "run focus-ingest run" in page.one("section", id="costs").text.replace("`", "")
    assert [row.attrs["data-status"] for row in page.find("tr") if "data-status" in row.attrs] == [
        "not validated"
    ]


def test_database_whose_only_run_died_says_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "focus.duckdb"
    source = tmp_path / "bucket" / "2025-03"
    source.mkdir(parents=True)
    (source / "a.csv").write_text("BilledCost,BillingCurrency\n1.00,USD\n")

    def die(*_: object) -> None:
        raise KeyboardInterrupt  # the run dies after its tables landed, before dlt's _dlt_loads row

    with monkeypatch.context() as patched:
        patched.setattr(SqlJobClientBase, "complete_load", die)
        main(["load", "--source", str(source.parent), "--database", str(database), "--as-of", AS_OF.isoformat(),
              "--quiet"])  # fmt: skip
    with duckdb.connect(str(database), read_only=True) as connection:
        ((run_id,),) = connection.execute("select run_id from raw.runs").fetchall()
    _, page = read_page(write_report(database, tmp_path / "report.html"))
    notices = " ".join(notice.text for notice in page.find("p", class_="notice"))
    assert "No run has finished on this database yet: run focus-ingest run." in notices
    assert run_id in notices and "has not finished" in notices
    assert "No costs yet" in page.one("section", id="costs").text
    assert "No run yet" in page.one("section", id="rejected").text


def test_missing_database_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(FocusIngestError, match="focus-ingest run"):
        write_report(tmp_path / "nothing.duckdb", tmp_path / "report.html")


# --- the page in a real browser ---------------------------------------------------------------------------


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed: apt-get install chromium (CI installs it)")
    return path


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_report_renders_in_headless_chromium(
    first_report: Path, tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    executable = chromium()
    from playwright.sync_api import sync_playwright  # test requirement; its own browser download is not used

    console: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    screenshot = tmp_path / "report.png"
    with sync_playwright() as playwright:
        # Playwright starts every launch with a fresh temporary profile (its --user-data-dir).
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(first_report.as_uri(), wait_until="load")

            assert page.title() == "focus-ingest report"
            for heading in ("Monthly cost per data source and sub-account", "Costs by service", "Changes",
                            "Rejected files", "Months"):
                # exact: Playwright matches a substring by default ("Months" would match any "... months")
                assert page.get_by_role("heading", name=heading, exact=True).is_visible()
            bars = page.eval_on_selector_all(
                "svg.chart",
                """charts => charts.map(chart => {
                    const bars = [...chart.querySelectorAll('rect.bar')];
                    return {
                        breakdown: chart.dataset.breakdown,
                        currency: chart.dataset.currency,
                        months: chart.querySelectorAll('text.month').length,
                        series: new Set(bars.map(bar => bar.dataset.series)).size,
                        boxes: bars.map(bar => {
                            const box = bar.getBoundingClientRect();
                            return [box.width, box.height];
                        }),
                    };
                })""",
            )
            assert len(bars) == 8  # (sub-accounts, services) x (EUR, USD) x (billed, effective)
            for chart in bars:
                assert chart["months"] == len(WINDOW), chart["currency"]
                assert all(width > 0 and height > 0 for width, height in chart["boxes"]), chart["currency"]
                # not every series bills in every month (the hostile sub-account and service: March only)
                assert 0 < len(chart["boxes"]) <= chart["months"] * chart["series"]
                if chart["currency"] == "USD":  # more USD sub-accounts and services than slots
                    assert chart["series"] == CHART_SERIES
            assert page.locator("script, img, iframe, object").count() == 0
            assert page.get_by_text(HOSTILE_REJECTED_KEY).first.is_visible()
            assert page.get_by_text(HOSTILE_CURRENCY).first.is_visible()
            # the first match is the chart's <title> tooltip, which is not shown until hovered
            assert page.get_by_text(HOSTILE_SERVICE).filter(visible=True).count() > 0
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()

    assert console == []
    assert dialogs == []
    assert requests == [first_report.as_uri()]
    width, height = png_size(screenshot)
    assert width == 1280 and height > 2000
    record_property("screenshot", str(screenshot))
    print(f"screenshot of the report: {screenshot}")


def open_in_chromium(
    path: Path, width: int, check: Callable[[BrowserPage], None]
) -> tuple[list[str], list[str], list[str]]:
    """Open `path` in headless Chromium at `width` px, run `check` on the page; (console, dialogs, requests)."""
    executable = chromium()
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(path.as_uri(), wait_until="load")
            check(page)
        finally:
            browser.close()
    return console, dialogs, requests


@pytest.mark.parametrize("content_policy", ["kept", "removed"])
def test_hostile_markup_in_the_data_never_runs(first_report: Path, tmp_path: Path, content_policy: str) -> None:
    """With the page's Content-Security-Policy removed, escaping alone must keep every payload inert."""
    report = first_report
    if content_policy == "removed":
        source = first_report.read_text(encoding="utf-8")
        without = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", source)
        assert without != source
        report = tmp_path / "report-without-policy.html"
        report.write_text(without, encoding="utf-8")

    def check(page: BrowserPage) -> None:
        assert page.locator("script, img, iframe, object, [onerror]").count() == 0
        for hostile in (HOSTILE_REJECTED_KEY.split("/")[1], HOSTILE_CURRENCY, HOSTILE_SUB_ACCOUNT, HOSTILE_SERVICE):
            assert page.get_by_text(hostile).filter(visible=True).count() > 0, hostile  # not only in a <title>
        # ServiceName is shown in the service table's own cell, as the whole text of it
        services = page.locator('table[data-breakdown="services"] td.series')
        assert HOSTILE_SERVICE in services.all_inner_texts()

    console, dialogs, requests = open_in_chromium(report, 1280, check)
    assert dialogs == [] and console == []
    assert requests == [report.as_uri()]  # an <img src=x> that got through would request x


def test_no_horizontal_clipping_at_1400_px(first_report: Path, tmp_path: Path) -> None:
    """Long sub-account ids (Azure /subscriptions/<uuid>, Oracle ocid1...) and file names wrap."""
    screenshot = tmp_path / "report-1400.png"
    overflowing: list[dict] = []

    def check(page: BrowserPage) -> None:
        assert page.get_by_text("/subscriptions/").first.is_visible()
        overflowing.extend(
            page.evaluate(
                """() => [document.documentElement, ...document.querySelectorAll('section, article, .scroll, table')]
                    .filter(element => element.scrollWidth > element.clientWidth)
                    .map(element => ({tag: element.tagName, class: element.className,
                                      scroll: element.scrollWidth, client: element.clientWidth}))"""
            )
        )
        page.screenshot(path=str(screenshot), full_page=True)

    open_in_chromium(first_report, 1400, check)
    assert overflowing == []
    assert png_size(screenshot)[0] == 1400
    print(f"screenshot of the report at 1400 px: {screenshot}")


def test_restated_month_shows_without_clipping_at_1400_px(cycles: Cycles, tmp_path: Path) -> None:
    """The second run restated March: its version charts, versions table and largest changes fit the page."""
    report = write_report(cycles.second, tmp_path / "report.html")
    screenshot = tmp_path / "changes-1400.png"
    overflowing: list[dict] = []

    def check(page: BrowserPage) -> None:
        assert page.get_by_role("heading", name="Restatements", exact=True).is_visible()
        assert page.locator("div.restated svg.chart rect.bar").count() > 0
        overflowing.extend(
            page.evaluate(
                """() => [...document.querySelectorAll('#changes, #changes .scroll, #changes table')]
                    .filter(element => element.scrollWidth > element.clientWidth)
                    .map(element => ({tag: element.tagName, class: element.className,
                                      scroll: element.scrollWidth, client: element.clientWidth}))"""
            )
        )
        page.locator("#changes").screenshot(path=str(screenshot))

    console, dialogs, requests = open_in_chromium(report, 1400, check)
    assert overflowing == [] and console == [] and dialogs == []
    assert requests == [report.as_uri()]
    print(f"screenshot of the Changes section at 1400 px: {screenshot}")
