"""The loader's state in DuckDB: manifest of file versions, their headers, data sources and runs.

The manifest is what makes runs incremental and safe: a file version counts as done only once its row is
committed here, in the same transaction that retracts the rows of replaced, deleted, rejected and
half-loaded versions. `docs/raw-layer.md` describes every table for the dbt side.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from focus_ingest.database_file import missing_database_hint
from focus_ingest.errors import ConfigError, FocusIngestError

logger = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
ROWS_TABLE = "focus_rows"

_DDL = """
create schema if not exists raw;
create table if not exists raw.focus_rows (
    _ingest_data_source varchar, _ingest_key varchar, _ingest_etag varchar,
    _ingest_billing_month varchar, _ingest_row_number bigint, _ingest_run_id varchar
);
create table if not exists raw.manifest (
    data_source varchar not null, key varchar not null, etag varchar not null,
    size bigint, last_modified timestamptz, billing_month varchar not null, status varchar not null,
    row_count bigint, run_id varchar, first_seen timestamptz, last_seen timestamptz,
    error varchar, error_line bigint, header varchar,
    primary key (data_source, key, etag)
);
create table if not exists raw.file_columns (
    data_source varchar not null, key varchar not null, etag varchar not null,
    position integer not null, column_name varchar not null, column_key varchar not null,
    primary key (data_source, key, etag, position)
);
create table if not exists raw.data_sources (
    data_source varchar primary key, location varchar, profile varchar,
    last_run_id varchar, last_run_at timestamptz
);
create table if not exists raw.runs (
    run_id varchar primary key, started_at timestamptz, finished_at timestamptz, as_of date, summary varchar,
    changed boolean
);
alter table raw.runs add column if not exists changed boolean;  -- databases made before builds were tracked
-- the per-file limits a version was read under (JSON): a file rejected under one limit is read again under another
alter table raw.manifest add column if not exists read_limits varchar;
create table if not exists raw.builds (
    data_version varchar, project_fingerprint varchar, succeeded boolean, built_at timestamptz
);
"""

CURRENT_STATUSES = ("loaded", "rejected")


@dataclass(frozen=True)
class KnownVersion:
    """The current (loaded or rejected) version of a key, as the manifest remembers it."""

    key: str
    etag: str
    billing_month: str
    status: str
    read_limits: str | None = None


@dataclass(frozen=True)
class VersionRecord:
    """What this run learned about one file version; becomes a manifest row."""

    data_source: str
    key: str
    etag: str
    size: int
    last_modified: datetime
    billing_month: str
    status: str
    row_count: int | None
    error: str | None
    error_line: int | None
    header: tuple[str, ...] | None
    column_keys: tuple[str, ...] | None
    read_limits: str | None = None


def lock_path_of(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def run_lock(database: Path, shared: bool = False) -> Iterator[None]:
    """Hold `<database>.lock` for a whole command, so a second run on the same database exits at once.

    A run (load and dbt build) holds it exclusively; `status` and `report` hold it shared, so they read
    a committed state and never meet a build half-way. DuckDB's own file lock only covers open
    connections, and a run also lists, downloads and hands over to dbt without one. The commands take
    it (`load`, `run`, `demo`), not `pipeline.run_load`, so that one lock spans the load and the build.
    """
    lock_path = lock_path_of(database)
    try:
        handle = lock_path.open("a")
    except PermissionError:
        if not shared:
            raise FocusIngestError(f"Cannot create {lock_path}: no write permission in {lock_path.parent}.") from None
        yield  # a reader of a database in a read-only folder: no run can write there either
        return
    with handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FocusIngestError(
                f"Another focus-ingest run is using {database} right now ({lock_path.name} is held); "
                "run again when it has finished."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def connect(database: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the database, with a clear message when another process holds it."""
    if read_only and not database.exists():
        raise ConfigError(missing_database_hint(database))
    try:
        connection = duckdb.connect(str(database), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise FocusIngestError(
                f"{database} is open in another process (a running load, dbt build or notebook). "
                "Close it and run again."
            ) from None
        raise FocusIngestError(f"Cannot open the database {database}: {error}") from None
    except duckdb.Error as error:
        raise FocusIngestError(f"Cannot open the database {database}: {error}") from None
    try:
        yield connection
    finally:
        connection.close()


def ensure_tables(connection: duckdb.DuckDBPyConnection, focus_column_keys: Sequence[str] = ()) -> None:
    """The raw tables, and in raw.focus_rows a text column per key of `focus_column_keys` (the FOCUS columns
    the models select): dlt's column hints add them too, but only on a load that carries rows, so a run
    with nothing to read on an empty database, or on one made before the hints, would lack them."""
    connection.execute(_DDL)
    table = f"{RAW_SCHEMA}.{ROWS_TABLE}"
    present = {name for (name,) in connection.execute(f"select name from pragma_table_info('{table}')").fetchall()}
    for key in focus_column_keys:
        if key not in present:
            connection.execute(f'alter table {table} add column "{key}" varchar')


def current_versions(connection: duckdb.DuckDBPyConnection, data_source: str) -> dict[str, KnownVersion]:
    rows = connection.execute(
        "select key, etag, billing_month, status, read_limits from raw.manifest "
        "where data_source = ? and status in (?, ?)",
        [data_source, *CURRENT_STATUSES],
    ).fetchall()
    return {row[0]: KnownVersion(*row) for row in rows}


def single_row(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a statement that always returns one (an aggregate; an insert's count): DuckDB types
    `fetchone` as optional."""
    row = cursor.fetchone()
    if row is None:
        raise FocusIngestError("DuckDB returned no row for a statement that always returns one.")
    return row


def unfinished_runs(connection: duckdb.DuckDBPyConnection) -> int:
    """Runs that started but never committed: their raw rows (if any) must be retracted."""
    (count,) = single_row(connection.execute("select count(*) from raw.runs where finished_at is null"))
    return int(count)


def start_run(connection: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime, as_of: object) -> None:
    connection.execute("insert into raw.runs (run_id, started_at, as_of) values (?, ?, ?)", [run_id, started_at, as_of])


def _records_table(records: list[VersionRecord], run_id: str, now: datetime) -> pa.Table:
    return pa.table(
        {
            "data_source": [r.data_source for r in records],
            "key": [r.key for r in records],
            "etag": [r.etag for r in records],
            "size": pa.array([r.size for r in records], pa.int64()),
            "last_modified": pa.array([r.last_modified for r in records], pa.timestamp("us", tz="UTC")),
            "billing_month": [r.billing_month for r in records],
            "status": [r.status for r in records],
            "row_count": pa.array([r.row_count for r in records], pa.int64()),
            "run_id": [run_id] * len(records),
            "seen_at": pa.array([now] * len(records), pa.timestamp("us", tz="UTC")),
            "error": pa.array([r.error for r in records], pa.string()),
            "error_line": pa.array([r.error_line for r in records], pa.int64()),
            "header": [json.dumps(list(r.header)) if r.header is not None else None for r in records],
            "read_limits": pa.array([r.read_limits for r in records], pa.string()),
        }
    )


def _columns_table(records: list[VersionRecord]) -> pa.Table:
    rows = [
        (r.data_source, r.key, r.etag, position, name, key)
        for r in records
        if r.status == "loaded" and r.header is not None and r.column_keys is not None
        for position, (name, key) in enumerate(zip(r.header, r.column_keys, strict=True), start=1)
    ]
    names = ["data_source", "key", "etag", "position", "column_name", "column_key"]
    return pa.table(
        {
            name: pa.array([row[index] for row in rows], pa.int32() if name == "position" else pa.string())
            for index, name in enumerate(names)
        }
    )


@dataclass(frozen=True)
class RunChanges:
    """Everything one run commits, for all of its data sources."""

    run_id: str
    finished_at: datetime
    read: list[VersionRecord]  # versions read this run (loaded or rejected)
    deleted: list[tuple[str, str]]  # (data_source, key) gone from a month inside the window
    unchanged: list[tuple[str, str, str]]  # (data_source, key, etag) listed again, not downloaded
    sources: list[tuple[str, str, str]]  # (data_source, location, profile) that ran
    summary: dict[str, object]
    retract: bool  # whether raw rows may be stale (something changed, or an earlier run died)


@dataclass(frozen=True)
class CommitResult:
    rows_retracted: int
    changed: bool  # whether the data the marts are built from changed in this run


def commit_run(connection: duckdb.DuckDBPyConnection, changes: RunChanges) -> CommitResult:
    """Record the run's outcome and retract stale rows in one transaction."""
    now = changes.finished_at
    records = _records_table(changes.read, changes.run_id, now)
    columns = _columns_table(changes.read)
    deleted = pa.table(
        {"data_source": [d for d, _ in changes.deleted], "key": [k for _, k in changes.deleted]},
        schema=pa.schema([("data_source", pa.string()), ("key", pa.string())]),
    )
    unchanged = pa.table(
        {
            "data_source": [d for d, _, _ in changes.unchanged],
            "key": [k for _, k, _ in changes.unchanged],
            "etag": [e for _, _, e in changes.unchanged],
        },
        schema=pa.schema([("data_source", pa.string()), ("key", pa.string()), ("etag", pa.string())]),
    )
    connection.register("run_records", records)
    connection.register("run_columns", columns)
    connection.register("run_deleted", deleted)
    connection.register("run_unchanged", unchanged)
    retracted = 0
    connection.execute("begin transaction")
    try:
        # A key read again under a new ETag: its earlier current version is now replaced.
        connection.execute(
            """
            update raw.manifest as m set status = 'replaced', last_seen = ?
            from run_records as r
            where m.data_source = r.data_source and m.key = r.key and m.etag <> r.etag
              and m.status in ('loaded', 'rejected')
            """,
            [now],
        )
        connection.execute(
            """
            update raw.manifest as m set status = 'deleted', last_seen = ?
            from run_deleted as d
            where m.data_source = d.data_source and m.key = d.key and m.status in ('loaded', 'rejected')
            """,
            [now],
        )
        connection.execute(
            """
            insert into raw.manifest (data_source, key, etag, size, last_modified, billing_month, status,
                row_count, run_id, first_seen, last_seen, error, error_line, header, read_limits)
            select data_source, key, etag, size, last_modified, billing_month, status, row_count, run_id,
                   seen_at as first_seen, seen_at as last_seen, error, error_line, header, read_limits
            from run_records
            on conflict (data_source, key, etag) do update set
                size = excluded.size, last_modified = excluded.last_modified, status = excluded.status,
                row_count = excluded.row_count, run_id = excluded.run_id, last_seen = excluded.last_seen,
                error = excluded.error, error_line = excluded.error_line, header = excluded.header,
                read_limits = excluded.read_limits
            """
        )
        connection.execute(
            """
            update raw.manifest as m set last_seen = ?
            from run_unchanged as u
            where m.data_source = u.data_source and m.key = u.key and m.etag = u.etag
            """,
            [now],
        )
        connection.execute(
            """
            delete from raw.file_columns as f using run_records as r
            where f.data_source = r.data_source and f.key = r.key and f.etag = r.etag
            """
        )
        connection.execute("insert into raw.file_columns select * from run_columns")
        known_sources = set(
            connection.execute("select data_source, location, profile from raw.data_sources").fetchall()
        )
        sources_changed = not set(changes.sources) <= known_sources
        for data_source, location, profile in changes.sources:
            connection.execute(
                """
                insert into raw.data_sources values (?, ?, ?, ?, ?)
                on conflict (data_source) do update set location = excluded.location,
                    profile = excluded.profile, last_run_id = excluded.last_run_id,
                    last_run_at = excluded.last_run_at
                """,
                [data_source, location, profile, changes.run_id, now],
            )
        changed = bool(changes.read or changes.deleted) or sources_changed
        if changes.retract:
            (retracted,) = single_row(
                connection.execute(
                    """
                    delete from raw.focus_rows as r
                    where not exists (
                        select 1 from raw.manifest as m
                        where m.status = 'loaded' and m.data_source = r._ingest_data_source
                          and m.key = r._ingest_key and m.etag = r._ingest_etag and m.run_id = r._ingest_run_id
                    )
                    """
                )
            )
            changed = changed or retracted > 0
        # The summary was written before this transaction: what it retracted and changed is known only now.
        summary = {**changes.summary, "changed": changed}
        totals = summary.get("totals")
        summary["totals"] = {**(totals if isinstance(totals, dict) else {}), "rows_retracted": retracted}
        connection.execute(
            "update raw.runs set finished_at = ?, summary = ?, changed = ? where run_id = ?",
            [now, json.dumps(summary, default=str), changed, changes.run_id],
        )
        connection.execute(  # earlier runs that died: their leftovers were just retracted
            "update raw.runs set finished_at = ?, summary = '{\"interrupted\": true}', changed = true "
            "where finished_at is null",
            [now],
        )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        for name in ("run_records", "run_columns", "run_deleted", "run_unchanged"):
            connection.unregister(name)
    return CommitResult(rows_retracted=retracted, changed=changed)


def data_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The last run that changed what the marts are built from (run ids sort by time)."""
    (version,) = single_row(connection.execute("select max(run_id) from raw.runs where changed"))
    return None if version is None else str(version)


def build_is_current(connection: duckdb.DuckDBPyConnection, version: str | None, fingerprint: str) -> bool:
    """Whether the latest dbt build succeeded on this data version with this dbt project."""
    latest = connection.execute(
        "select data_version, project_fingerprint, succeeded from raw.builds order by built_at desc limit 1"
    ).fetchone()
    return latest is not None and latest == (version, fingerprint, True)


def record_build(
    connection: duckdb.DuckDBPyConnection, version: str | None, fingerprint: str, succeeded: bool, at: datetime
) -> None:
    connection.execute("insert into raw.builds values (?, ?, ?, ?)", [version, fingerprint, succeeded, at])
