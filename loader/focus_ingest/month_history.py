"""The month history as the run summary and `status` tell it: restated months and missing feeds.

dbt computes the history (`marts.month_versions`, `marts.missing_feeds`, docs/history.md); this module
only reads those marts, so the summary, `status` and the report agree with them. A database built by a
version of focus-ingest without these marts has no history yet: every list is empty until its next build.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb


@dataclass(frozen=True)
class RestatedMonth:
    """A month whose accepted files changed after its first version."""

    data_source: str
    billing_month: str
    versions: int  # the current version's number: 2 or more
    run_id: str  # the run that made the current version

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MissingFeed:
    """A due month without an accepted file, for a data source that delivered earlier months."""

    data_source: str
    billing_month: str
    due_on: str  # YYYY-MM-DD
    as_of: str  # the as-of date of the latest run that loaded something

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MonthHistory:
    restated: list[RestatedMonth] = field(default_factory=list)
    missing: list[MissingFeed] = field(default_factory=list)

    def restated_by(self, run_id: str) -> list[RestatedMonth]:
        """The months this run restated: their current version is its own."""
        return [month for month in self.restated if month.run_id == run_id]


_HISTORY_MARTS = ("month_versions", "missing_feeds")


def _has_history(connection: duckdb.DuckDBPyConnection) -> bool:
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' and list_contains(?, "
        "table_name)",
        [list(_HISTORY_MARTS)],
    ).fetchall()
    return len(rows) == len(_HISTORY_MARTS)


def month_history(connection: duckdb.DuckDBPyConnection) -> MonthHistory:
    """Every restated month and every missing feed the last build found."""
    if not _has_history(connection):
        return MonthHistory()
    restated = connection.execute(
        """
        select distinct data_source_id, billing_month, version_number, run_id
        from marts.month_versions
        where is_current and version_number > 1
        order by data_source_id, billing_month
        """
    ).fetchall()
    missing = connection.execute(
        """
        select data_source_id, billing_month, strftime(due_on, '%Y-%m-%d'), strftime(as_of, '%Y-%m-%d')
        from marts.missing_feeds
        order by data_source_id, billing_month
        """
    ).fetchall()
    return MonthHistory([RestatedMonth(*row) for row in restated], [MissingFeed(*row) for row in missing])


def restated_line(months: list[RestatedMonth], what: str) -> str:
    """One line of text for a list of restated months, e.g. for the summary or `status`."""
    if not months:
        return f"{what}: none"
    listed = ", ".join(f"{month.data_source} {month.billing_month} (version {month.versions})" for month in months)
    return f"{what}: {listed} (see marts.month_changes or the report's Changes)"


def missing_line(feeds: list[MissingFeed]) -> str:
    """One line of text for the missing feeds."""
    if not feeds:
        return "missing feeds: none"
    listed = ", ".join(f"{feed.data_source} {feed.billing_month} (due {feed.due_on})" for feed in feeds)
    return f"missing feeds: {listed} as of {feeds[0].as_of}: no accepted file, not a drop in cost"
