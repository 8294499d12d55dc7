"""Month arithmetic (focus_ingest/months.py): the window's start, the report's month axis, the sample's months."""

from __future__ import annotations

from datetime import date

import pytest

from focus_ingest.months import add_months, month_number, month_of, month_text, months_between
from focus_ingest.settings import DataSource, RunSettings


def test_months_between_crosses_years() -> None:
    assert months_between("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert months_between("2025-03", "2025-03") == ["2025-03"]
    assert months_between("2025-03", "2025-02") == []


@pytest.mark.parametrize(
    ("month", "count", "expected"),
    [("2025-01", -1, "2024-12"), ("2024-12", 1, "2025-01"), ("2025-03", -14, "2024-01"), ("2025-03", 0, "2025-03")],
)
def test_add_months_steps_across_years(month: str, count: int, expected: str) -> None:
    assert add_months(month, count) == expected


def test_month_number_and_text_are_inverse() -> None:
    for month in ("0001-01", "1999-12", "2025-06"):
        assert month_text(month_number(month)) == month
    assert month_number("2025-01") - month_number("2024-12") == 1


def test_month_of_a_day_is_zero_padded() -> None:
    assert month_of(date(2025, 3, 31)) == "2025-03"


@pytest.mark.parametrize(
    ("as_of", "lookback", "start"),
    [(date(2025, 2, 10), 2, "2024-12"), (date(2025, 1, 1), 0, "2025-01"), (date(2025, 1, 1), 13, "2023-12")],
)
def test_the_window_starts_lookback_months_before_the_as_of_month(as_of: date, lookback: int, start: str) -> None:
    settings = RunSettings(sources=(DataSource(name="s", location="/tmp"),), as_of=as_of, lookback_months=lookback)
    assert settings.lookback_start == start
