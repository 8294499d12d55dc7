"""What the loader keeps besides dlt's raw layer: the run lock, connections, and the record of builds.

The raw layer itself is dlt's (focus_source.py): dlt creates the tables, and its `raw._dlt_loads` is the
commit, so nothing here takes part in deciding what counts. `docs/raw-layer.md` describes every table.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from focus_ingest.database_file import missing_database_hint
from focus_ingest.errors import ConfigError, FocusIngestError

logger = logging.getLogger(__name__)

RAW_SCHEMA = "raw"
ROWS_TABLE = "focus_rows"
LOADS_TABLE = "_dlt_loads"  # dlt's: one row per completed load package (status 0)

_BUILDS_DDL = """
create schema if not exists raw;
create table if not exists raw.builds (
    data_version varchar, project_fingerprint varchar, succeeded boolean, built_at timestamptz
);
"""


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


def single_row(cursor: duckdb.DuckDBPyConnection) -> tuple[Any, ...]:
    """The row of a statement that always returns one (an aggregate; an insert's count): DuckDB types
    `fetchone` as optional."""
    row = cursor.fetchone()
    if row is None:
        raise FocusIngestError("DuckDB returned no row for a statement that always returns one.")
    return row


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    (count,) = single_row(
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        )
    )
    return bool(count)


def data_version(connection: duckdb.DuckDBPyConnection) -> str | None:
    """The largest completed load id: what the marts are built from changes only with a new completed load
    (load ids are times; compared as numbers, since their digits need not have the same count)."""
    if not table_exists(connection, RAW_SCHEMA, LOADS_TABLE):
        return None
    row = connection.execute(
        f"select load_id from {RAW_SCHEMA}.{LOADS_TABLE} where status = 0 "
        "order by cast(load_id as decimal(24, 10)) desc limit 1"
    ).fetchone()
    return None if row is None else str(row[0])


def build_is_current(connection: duckdb.DuckDBPyConnection, version: str | None, fingerprint: str) -> bool:
    """Whether the latest dbt build succeeded on this data version with this dbt project."""
    if not table_exists(connection, RAW_SCHEMA, "builds"):
        return False
    latest = connection.execute(
        "select data_version, project_fingerprint, succeeded from raw.builds order by built_at desc limit 1"
    ).fetchone()
    return latest is not None and latest == (version, fingerprint, True)


def record_build(
    connection: duckdb.DuckDBPyConnection, version: str | None, fingerprint: str, succeeded: bool, at: datetime
) -> None:
    connection.execute(_BUILDS_DDL)
    connection.execute("insert into raw.builds values (?, ?, ?, ?)", [version, fingerprint, succeeded, at])
