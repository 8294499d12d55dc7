"""Billing months, written `YYYY-MM` as the month folders are, and the arithmetic on them.

Months are counted from year 0 so that stepping across a year is plain integer arithmetic; the lookback
window, the report's month axis and the sample data's months all step through here.
"""

from __future__ import annotations

from datetime import date


def month_number(month: str) -> int:
    """`YYYY-MM` as months since January of year 0 (the text is assumed valid: `MONTH_PATTERN`)."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_text(number: int) -> str:
    """The inverse of `month_number`."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, count: int) -> str:
    """The month `count` months after `month` (before it when `count` is negative)."""
    return month_text(month_number(month) + count)


def months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included, oldest first; empty when `last` is earlier."""
    return [month_text(number) for number in range(month_number(first), month_number(last) + 1)]
