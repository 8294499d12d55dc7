"""`focus-ingest status`: what the database holds, file by file, with each file's verdict, and the last run."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

from focus_ingest import state
from focus_ingest.destinations import check_database_fits, lake_database
from focus_ingest.known_versions import FILE_STATUSES_SQL, has_event_log
from focus_ingest.month_history import MissingFeed, RestatedMonth, missing_line, month_history, restated_line
from focus_ingest.settings import Lake
from focus_ingest.verdicts import NOT_VALIDATED, current_verdicts

VERDICTS = ("accepted", "rejected", "unreadable", NOT_VALIDATED)
ERROR_WIDTH = 100  # characters of the first error shown per file in the text


class LastRun(TypedDict):
    run_id: str
    started_at: str | None
    finished_at: str | None


class MonthFiles(TypedDict):
    data_source: str
    billing_month: str
    status: str
    files: int
    rows: int


class Status(TypedDict):
    """What `status --json` prints."""

    database: str
    last_run: LastRun | None
    months: list[MonthFiles]
    verdicts: dict[str, int]
    files: list[dict[str, Any]]  # `FileVerdict.as_dict()`
    restated_months: list[dict[str, Any]]  # `RestatedMonth.as_dict()`: every month with a version after its first
    missing_feeds: list[dict[str, Any]]  # `MissingFeed.as_dict()`


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def status_of(database: Path, lake: Lake | None = None) -> Status:
    """The file versions per month and status, every current file with its verdict, and the last run
    that loaded something. A database whose raw layer is in a lake is read only with that `lake`."""
    with state.run_lock(database, shared=True):
        check_database_fits(database, lake)
        return _status_of(database, lake)


def _status_of(database: Path, lake: Lake | None) -> Status:
    with lake_database(database, lake) as connection:
        if not has_event_log(connection):
            return {
                "database": str(database), "last_run": None, "months": [], "verdicts": {}, "files": [],
                "restated_months": [], "missing_feeds": [],
            }  # fmt: skip
        months = connection.execute(
            f"""
            select data_source, billing_month, status, count(*) as files, coalesce(sum(row_count), 0) as rows
            from ({FILE_STATUSES_SQL}) group by all order by all
            """
        ).fetchall()
        last_run = connection.execute(
            f"""
            select runs.run_id, min(runs.started_at), max(runs.finished_at)
            from {state.RAW_SCHEMA}.runs as runs
            inner join {state.RAW_SCHEMA}.{state.LOADS_TABLE} as loads
                on runs._dlt_load_id = loads.load_id and loads.status = 0
            group by runs.run_id order by min(runs.started_at) desc limit 1
            """
        ).fetchone()
        files = current_verdicts(connection)
        history = month_history(connection)
    return {
        "database": str(database),
        "last_run": None
        if last_run is None
        else {"run_id": last_run[0], "started_at": _when(last_run[1]), "finished_at": _when(last_run[2])},
        "months": [
            {"data_source": s, "billing_month": m, "status": st, "files": f, "rows": r} for s, m, st, f, r in months
        ],
        "verdicts": {verdict: count for verdict, count in Counter(file.verdict for file in files).items()},
        "files": [file.as_dict() for file in files],
        "restated_months": [month.as_dict() for month in history.restated],
        "missing_feeds": [feed.as_dict() for feed in history.missing],
    }


def render_status(status: Status) -> str:
    lines = [f"database {status['database']}"]
    last_run = status["last_run"]
    if last_run:
        lines.append(
            f"last run {last_run['run_id']}: started {last_run['started_at']}, finished {last_run['finished_at']}"
        )
    files = status["files"]
    if not files:
        lines.append("no files yet")
        return "\n".join(lines)
    key_width = min(60, max(len(file["key"]) for file in files))
    lines.append(f"{'data source':<20} {'month':<8} {'file':<{key_width}} {'verdict':<17} {'rows':>11}  first error")
    for file in files:
        rows = "" if file["rows"] is None else f"{file['rows']:,}"
        error = (file["first_error"] or "") if file["verdict"] != "accepted" else ""
        error = error if len(error) <= ERROR_WIDTH else error[: ERROR_WIDTH - 1] + "…"
        lines.append(
            f"{file['data_source']:<20} {file['billing_month']:<8} {file['key']:<{key_width}} "
            f"{file['verdict']:<17} {rows:>11}  {error}".rstrip()
        )
    counts = status["verdicts"]
    lines.append("files: " + ", ".join(f"{counts.get(verdict, 0)} {verdict}" for verdict in VERDICTS))
    lines.append(restated_line([RestatedMonth(**month) for month in status["restated_months"]], "restated months"))
    lines.append(missing_line([MissingFeed(**feed) for feed in status["missing_feeds"]]))
    return "\n".join(lines)
