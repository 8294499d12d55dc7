"""Unit tests of the small pure helpers: byte sizes, the sample-data building blocks, the report's formatting
and chart geometry, and the page rendered from hand-made data (no database, no browser)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from focus_ingest.progress import human_bytes
from focus_ingest.report_html import (
    ChartSeries,
    CostLine,
    CurrencyCosts,
    CycleFile,
    LastRun,
    ReportData,
    RuleFailure,
    glance_tiles,
    money,
    render_report,
    stacked_bar_chart,
)
from focus_ingest.sample_data import (
    FOCUS_COLUMNS,
    NULL,
    _csv_lines,
    _derived_seed,
    _fixed,
    _month_bounds,
    _weighted_choice,
    generate_table,
    month_file_name,
    recent_months,
)


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"), (1024**2 - 1, "1.0 MB"),
        (1024**2, "1.0 MB"), (int(2.25 * 1024**3), "2.2 GB"), (3 * 1024**4, "3072.0 GB"),
    ],
)  # fmt: skip
def test_human_bytes(count: int, shown: str) -> None:
    assert human_bytes(count) == shown


# --- sample data --------------------------------------------------------------------------------------------


def test_fixed_writes_plain_decimals_without_exponent_or_negative_zero() -> None:
    values = pa.array([0.0000000000049, -0.5, 1234.5, -0.000000000004, 8e-7, 0.0])
    assert _fixed(values, 11).to_pylist() == [
        "0.00000000000", "-0.50000000000", "1234.50000000000", "0.00000000000", "0.00000080000", "0.00000000000",
    ]  # fmt: skip


@pytest.mark.parametrize(("month", "hours"), [("2024-02", 696), ("2025-02", 672), ("2025-03", 744), ("2025-04", 720)])
def test_month_bounds_start_at_midnight_and_count_the_hours(month: str, hours: int) -> None:
    start, month_hours = _month_bounds(month)
    assert (f"{start:%Y-%m-%d %H:%M:%S}", month_hours) == (f"{month}-01 00:00:00", hours)


@pytest.mark.parametrize("month", ["2025-3", "2025-13", "202503", "2025-03-01", ""])
def test_month_bounds_refuse_anything_but_yyyy_mm(month: str) -> None:
    with pytest.raises(ValueError, match="month must be YYYY-MM"):
        _month_bounds(month)


def test_derived_seed_is_stable_and_separates_its_parts() -> None:
    assert _derived_seed(2024, "2025-03", 1) == _derived_seed(2024, "2025-03", 1)
    assert _derived_seed("a", "bc") != _derived_seed("ab", "c")
    assert 0 <= _derived_seed("x") < 2**63


def test_weighted_choice_follows_the_weights() -> None:
    draws = pa.array([index / 1000 for index in range(1000)])
    chosen = _weighted_choice(pa.chunked_array([[1.0, 3.0, 0.0]]), draws).to_pylist()
    assert chosen == sorted(chosen) and set(chosen) <= {0, 1, 2}
    assert 240 <= chosen.count(0) <= 260 and 740 <= chosen.count(1) <= 760
    assert chosen.count(2) <= 1  # a zero weight keeps one slot of the lookup table at most


def test_csv_lines_quote_text_and_leave_numbers_and_null_bare() -> None:
    table = pa.table({"BilledCost": ["1.5"], "ServiceName": ['say "hi", twice'], "Tags": [NULL]})
    assert _csv_lines(table).to_pylist() == ['1.5,"say ""hi"", twice",NULL']


def test_month_file_names_and_recent_months() -> None:
    assert month_file_name("2025-03", 2, True) == "focus-2025-03-2.csv.gz"
    assert month_file_name("2025-03", 1, False) == "focus-2025-03-1.csv"
    assert recent_months(date(2025, 1, 31), 3) == ["2024-11", "2024-12", "2025-01"]
    with pytest.raises(ValueError, match="count must be >= 1"):
        recent_months(date(2025, 1, 1), 0)


def test_generate_table_has_the_sample_columns_and_refuses_negative_counts() -> None:
    assert generate_table("2025-03", 0, 1).column_names == list(FOCUS_COLUMNS)
    with pytest.raises(ValueError, match="count must be >= 0"):
        generate_table("2025-03", -1, 1)


# --- the report ----------------------------------------------------------------------------------------------


def test_money_rounds_half_away_from_zero() -> None:
    assert [money(Decimal(text)) for text in ("2.675", "-2.675", "0.005", "1234567.891")] == [
        "2.68", "-2.68", "0.01", "1,234,567.89",
    ]  # fmt: skip


def series(slot: int, label: str, amounts: dict[str, str], is_other: bool = False) -> ChartSeries:
    return ChartSeries(slot, label, is_other, {month: (Decimal(v), Decimal(v)) for month, v in amounts.items()})


def test_chart_stacks_positive_amounts_up_and_credits_down_from_zero() -> None:
    chart = stacked_bar_chart(
        "services", "USD", "BilledCost", "Billed cost", ["2025-01", "2025-02"],
        [series(1, "a", {"2025-01": "30", "2025-02": "10"}), series(2, "b", {"2025-01": "-10", "2025-02": "0"})],
    )  # fmt: skip
    assert chart is not None
    zero = next(tick for tick in chart.ticks if tick.is_zero)
    bars = {(bar.series.label, bar.month): bar for bar in chart.bars}
    assert set(bars) == {("a", "2025-01"), ("a", "2025-02"), ("b", "2025-01")}  # a zero amount draws nothing
    assert bars[("a", "2025-01")].y + bars[("a", "2025-01")].height == pytest.approx(zero.y)
    assert bars[("b", "2025-01")].y == pytest.approx(zero.y)
    assert bars[("a", "2025-01")].height == pytest.approx(3 * bars[("a", "2025-02")].height)
    assert bars[("a", "2025-01")].height == pytest.approx(3 * bars[("b", "2025-01")].height)
    assert [label.month for label in chart.months] == ["2025-01", "2025-02"]


def test_chart_keeps_tiny_amounts_visible_and_draws_nothing_when_all_are_zero() -> None:
    chart = stacked_bar_chart(
        "services", "USD", "EffectiveCost", "Effective cost", ["2025-01"],
        [series(1, "big", {"2025-01": "1000000"}), series(2, "tiny", {"2025-01": "0.01"})],
    )  # fmt: skip
    assert chart is not None and min(bar.height for bar in chart.bars) == 1.0
    zero = [series(1, "z", {"2025-01": "0"})]
    assert stacked_bar_chart("services", "USD", "BilledCost", "Billed cost", ["2025-01"], zero) is None


HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
HOSTILE_SERVICE = '<script>alert("service")</script>"><img src=x onerror=alert(3)>'


def hostile_report() -> ReportData:
    """A page where every untrusted text (names, keys, values, reasons, labels) carries markup."""
    run = LastRun(
        "run-1", datetime(2025, 3, 15, 6, tzinfo=UTC), datetime(2025, 3, 15, 6, 5, tzinfo=UTC), date(2025, 3, 15),
        {"first_month": "2025-01", "sources": [{
            "name": HOSTILE, "location": HOSTILE, "failed": HOSTILE, "periods_processed": ["2025-03"],
            "periods_skipped": [], "ignored": [{"key": HOSTILE, "reason": HOSTILE}], "files_ignored": 3,
        }]},
    )  # fmt: skip
    key = f"2025-03/{HOSTILE}.csv"
    amounts = (Decimal(5), Decimal(4), 2)
    sub_account = {"x_ParentDataSourceId": HOSTILE, "x_SubAccountName": HOSTILE, "x_SubAccountId": HOSTILE}
    line = CostLine(HOSTILE, sub_account, {"2025-03": amounts}, amounts)
    costs = CurrencyCosts(
        HOSTILE, CostLine(None, {}, dict(line.by_month), line.total), ["2025-03"], [line],
        [series(1, HOSTILE, {"2025-03": "5"}), series(9, "Other (3 sub-accounts)", {"2025-03": "1"}, True)],
    )  # fmt: skip
    service = CostLine(1, {"x_ChartSeries": HOSTILE_SERVICE, "x_IsOtherSeries": False}, {"2025-03": amounts}, amounts)
    service_costs = CurrencyCosts(
        HOSTILE, CostLine(None, {}, dict(service.by_month), service.total), ["2025-03"], [service],
        [series(1, HOSTILE_SERVICE, {"2025-03": "5"})],
    )  # fmt: skip
    return ReportData(
        database=Path(HOSTILE), generated_at=datetime(2025, 3, 15, 7, tzinfo=UTC), last_run=run,
        unfinished_runs=[(HOSTILE, datetime(2025, 3, 15, 6, tzinfo=UTC))], marts_ready=True, services_ready=True,
        files=[CycleFile(HOSTILE, key, "e", "2025-03", "rejected", "new", 1, 10, 1, 0, HOSTILE)],
        failures={(HOSTILE, key, "e"): [RuleFailure(HOSTILE, HOSTILE, 1, ((1, HOSTILE), (None, None)), HOSTILE)]},
        costs=[costs], service_costs=[service_costs],
    )  # fmt: skip


def test_every_untrusted_text_is_escaped_by_the_templates() -> None:
    page = render_report(hostile_report())
    assert "<script" not in page and "<img" not in page and "onerror=alert(2)>" not in page
    escaped = page.count("&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;")
    assert escaped >= 20  # each of the texts above, in elements and in attributes
    assert re.search(r'data-series="&lt;script', page) and re.search(r'data-key="2025-03/&lt;script', page)
    # the service's name: in its table row, its legend entry, its bars' data-series and <title> tooltips
    service = "&lt;script&gt;alert(&#34;service&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(3)&gt;"
    assert page.count(service) >= 6 and "onerror=alert(3)>" not in page
    assert f'<td class="series">{service}</td>' in page


def test_the_page_has_a_policy_without_scripts_and_the_how_to_fix_texts() -> None:
    page = render_report(hostile_report())
    assert "default-src 'none'" in page and "http" not in page.replace('http-equiv="Content-Security-Policy"', "")
    assert '<td class="fix">' in page
    assert "Other (3 sub-accounts)" in page and 'fill="#bab0ac"' in page  # the Other series' own colour


def test_glance_tiles_count_files_and_show_the_latest_month() -> None:
    tiles = glance_tiles(hostile_report())
    assert tiles[0] == ("Files in the last run", "1", "0 accepted · 1 rejected")
    assert tiles[1] == ("Months processed", "1", "2025-03 to 2025-03")
    assert tiles[2] == (f"{HOSTILE} billed, 2025-03", "5.00", f"effective 4.00 {HOSTILE}")


def test_an_empty_database_renders_the_hints() -> None:
    page = render_report(ReportData(database=Path("f.duckdb"), generated_at=datetime(2025, 1, 1, tzinfo=UTC)))
    assert page.count("<code>focus-ingest run</code>") >= 4 and "No finished run yet." in page
