"""The tables of the raw layer besides the rows, as pyarrow tables: one builder per table, one column list.

dlt loads them (focus_source.py, which declares the same columns as hints); `validate` writes the same
tables into its private scratch database without dlt (`insert_without_dlt`). `docs/raw-layer.md`
describes every table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from focus_ingest.state import LOADS_TABLE, RAW_SCHEMA, ROWS_TABLE

EVENTS_TABLE = "file_versions"
COLUMNS_TABLE = "file_columns"
DATA_SOURCES_TABLE = "data_sources"
RUNS_TABLE = "runs"

# Declared columns: (name, dlt data type, nullable). The arrow tables are built from the same list, so
# that dlt finds no difference between its hints and the data.
EVENT_COLUMNS = (
    ("data_source", "text", False),
    ("key", "text", False),
    ("etag", "text", False),
    ("billing_month", "text", False),
    ("event", "text", False),
    ("size", "bigint", True),
    ("last_modified", "timestamp", True),
    ("row_count", "bigint", True),
    ("error", "text", True),
    ("error_line", "bigint", True),
    ("header", "text", True),
    ("read_limits", "text", True),
    ("run_id", "text", False),
    ("event_at", "timestamp", False),
)
FILE_COLUMN_COLUMNS = (
    ("data_source", "text", False),
    ("key", "text", False),
    ("etag", "text", False),
    ("position", "bigint", False),
    ("column_name", "text", False),
    ("column_key", "text", False),
)
DATA_SOURCE_COLUMNS = (
    ("data_source", "text", False),
    ("location", "text", False),
    ("profile", "text", False),
    ("run_id", "text", False),
    ("recorded_at", "timestamp", False),
)
RUN_COLUMNS = (
    ("run_id", "text", False),
    ("data_source", "text", False),
    ("started_at", "timestamp", False),
    ("finished_at", "timestamp", False),
    ("as_of", "date", False),
    ("summary", "text", False),
    ("changed", "bool", False),
)
_ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class VersionEvent:
    """What a run learned about one file version: it was read (loaded or rejected) or found deleted."""

    data_source: str
    key: str
    etag: str
    billing_month: str
    event: str
    size: int | None = None
    last_modified: datetime | None = None
    row_count: int | None = None
    error: str | None = None
    error_line: int | None = None
    header: tuple[str, ...] | None = None
    column_keys: tuple[str, ...] | None = None
    read_limits: str | None = None


@dataclass(frozen=True)
class RunFacts:
    """Everything but the rows that one data source's package carries."""

    run_id: str
    data_source: str
    location: str
    profile: str
    source_reached: bool  # false when the source failed part-way: its location and profile are not recorded
    started_at: datetime
    as_of: object  # a date
    events: Sequence[VersionEvent]
    summary: dict[str, object]
    finished_at: datetime


def _table(columns: Sequence[tuple[str, str, bool]], rows: Sequence[Sequence[object]]) -> pa.Table:
    schema = pa.schema([pa.field(name, _ARROW_TYPES[kind], nullable) for name, kind, nullable in columns])
    return pa.table(
        {field.name: pa.array([row[i] for row in rows], field.type) for i, field in enumerate(schema)},
        schema=schema,
    )


def events_table(facts: RunFacts) -> pa.Table:
    """The `file_versions` events of the package (the event log)."""
    rows = [
        (e.data_source, e.key, e.etag, e.billing_month, e.event, e.size, e.last_modified, e.row_count, e.error,
         e.error_line, json.dumps(list(e.header)) if e.header is not None else None, e.read_limits, facts.run_id,
         facts.finished_at)
        for e in facts.events
    ]  # fmt: skip
    return _table(EVENT_COLUMNS, rows)


def file_columns_table(facts: RunFacts) -> pa.Table:
    """One row per header column of each version loaded in the package."""
    rows = [
        (e.data_source, e.key, e.etag, position, name, key)
        for e in facts.events
        if e.event == "loaded" and e.header is not None and e.column_keys is not None
        for position, (name, key) in enumerate(zip(e.header, e.column_keys, strict=True), start=1)
    ]
    return _table(FILE_COLUMN_COLUMNS, rows)


def data_sources_table(facts: RunFacts) -> pa.Table:
    """The data source's location and profile as this run reached them (none when it failed)."""
    rows = [(facts.data_source, facts.location, facts.profile, facts.run_id, facts.finished_at)]
    return _table(DATA_SOURCE_COLUMNS, rows if facts.source_reached else [])


def runs_table(facts: RunFacts) -> pa.Table:
    summary = json.dumps(facts.summary, default=str)
    return _table(
        RUN_COLUMNS, [(facts.run_id, facts.data_source, facts.started_at, facts.finished_at, facts.as_of, summary,
                        True)],
    )  # fmt: skip


# Every table a load writes in the raw schema, dlt's commit table last.
RAW_TABLES = (ROWS_TABLE, EVENTS_TABLE, COLUMNS_TABLE, DATA_SOURCES_TABLE, RUNS_TABLE, LOADS_TABLE)


def insert_without_dlt(connection: duckdb.DuckDBPyConnection, facts: RunFacts, load_id: str) -> None:
    """Record a load that did not go through dlt (validate's scratch copy of the raw layer): the fact tables
    with `load_id`, then its row in `_dlt_loads`, so that the models count it like a dlt load. The rows of
    raw.focus_rows must carry the same `_dlt_load_id`."""
    for table, build in (
        (EVENTS_TABLE, events_table), (COLUMNS_TABLE, file_columns_table),
        (DATA_SOURCES_TABLE, data_sources_table), (RUNS_TABLE, runs_table),
    ):  # fmt: skip
        rows = build(facts)
        rows = rows.append_column("_dlt_load_id", pa.array([load_id] * rows.num_rows, pa.string()))
        connection.register("facts_without_dlt", rows)
        try:
            connection.execute(f"insert into {RAW_SCHEMA}.{table} by name select * from facts_without_dlt")
        finally:
            connection.unregister("facts_without_dlt")
    connection.execute(
        f"insert into {RAW_SCHEMA}.{LOADS_TABLE} (load_id, schema_name, status, inserted_at, schema_version_hash) "
        "values (?, ?, 0, ?, '')",
        [load_id, facts.data_source, datetime.now(UTC)],
    )
