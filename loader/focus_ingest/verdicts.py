"""The verdict of each current file version, read from what dbt built (`marts.file_validation`).

The loader knows only whether a file could be read; whether its content passed the FOCUS rules is the
dbt project's answer. The summary of `run` lists every rejected file of its window from here, and
`status` shows each file's verdict: accepted, rejected (by a rule), unreadable (rejected by the loader),
or not validated yet (loaded by `load`, no build since).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from focus_ingest import state
from focus_ingest.known_versions import FILE_STATUSES_SQL, has_event_log

NOT_VALIDATED = "not validated yet"


@dataclass(frozen=True)
class FileVerdict:
    data_source: str
    key: str
    billing_month: str
    verdict: str  # accepted | rejected | unreadable | not validated yet
    rows: int | None
    first_error: str | None
    run_id: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _has_marts(connection: duckdb.DuckDBPyConnection) -> bool:
    (count,) = state.single_row(
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' "
            "and table_name = 'file_validation'"
        )
    )
    return bool(count)


_WITH_MARTS = f"""
select m.data_source, m.key, m.billing_month,
       case when m.status = 'rejected' then 'unreadable' else coalesce(v.status, ?) end as verdict,
       m.row_count, coalesce(v.first_error, m.error) as first_error, m.run_id
from ({FILE_STATUSES_SQL}) as m
left join marts.file_validation as v
    on v.data_source_id = m.data_source and v.key = m.key and v.etag = m.etag
where m.status in ('loaded', 'rejected')
order by m.data_source, m.billing_month, m.key
"""
_WITHOUT_MARTS = f"""
select data_source, key, billing_month, case when status = 'rejected' then 'unreadable' else ? end,
       row_count, error, run_id
from ({FILE_STATUSES_SQL}) where status in ('loaded', 'rejected')
order by data_source, billing_month, key
"""


def current_verdicts(connection: duckdb.DuckDBPyConnection) -> list[FileVerdict]:
    """Every current (loaded or rejected) file version with its verdict."""
    if not has_event_log(connection):
        return []
    sql = _WITH_MARTS if _has_marts(connection) else _WITHOUT_MARTS
    return [FileVerdict(*row) for row in connection.execute(sql, [NOT_VALIDATED]).fetchall()]


def rejected_in_window(
    connection: duckdb.DuckDBPyConnection, sources: list[str], first_month: str
) -> list[FileVerdict]:
    """The rejected and unreadable files of these sources from `first_month` on: what a run must show."""
    return [
        verdict
        for verdict in current_verdicts(connection)
        if verdict.verdict in ("rejected", "unreadable")
        and verdict.data_source in sources
        and verdict.billing_month >= first_month
    ]
