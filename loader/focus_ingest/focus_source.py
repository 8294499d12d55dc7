"""The dlt source of one data source's run: its rows and the facts about them, in one load package.

Every resource is append-only and gets pyarrow tables (never dicts). `file_versions` is an event log: one
event per file version a run read (`loaded`, `rejected`) or found gone (`deleted`). Because the rows of a
version and its `loaded` event travel in the same package, they commit together: dlt writes the package's
row in `_dlt_loads` only after every table of it is in, and nothing counts before that row exists
(`known_versions.py`, the dbt models over `raw._dlt_loads`). `docs/raw-layer.md` describes every table.

The event tables are produced after the rows resource is exhausted: the source is extracted first in,
first out (`EXTRACT__NEXT_ITEM_MODE=fifo`, set by `pipeline.py`), and each event resource checks that the
reading has finished, so a different extraction order fails loudly instead of losing events.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns
from dlt.extract.source import DltSource

from focus_ingest.errors import FocusIngestError

ROWS_TABLE = "focus_rows"
EVENTS_TABLE = "file_versions"
COLUMNS_TABLE = "file_columns"
DATA_SOURCES_TABLE = "data_sources"
RUNS_TABLE = "runs"

EVENTS = ("loaded", "rejected", "deleted")

# Declared columns: (name, dlt data type, nullable). The arrow tables are built from the same list, so
# that dlt finds no difference between its hints and the data.
_EVENT_COLUMNS = (
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
_FILE_COLUMN_COLUMNS = (
    ("data_source", "text", False),
    ("key", "text", False),
    ("etag", "text", False),
    ("position", "bigint", False),
    ("column_name", "text", False),
    ("column_key", "text", False),
)
_DATA_SOURCE_COLUMNS = (
    ("data_source", "text", False),
    ("location", "text", False),
    ("profile", "text", False),
    ("run_id", "text", False),
    ("recorded_at", "timestamp", False),
)
_RUN_COLUMNS = (
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
# The fact tables' columns are all declared: a new one would be our bug. Rows take new `x_` columns.
_FACTS_CONTRACT: dict[str, Any] = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}
_ROWS_CONTRACT: dict[str, Any] = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


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


def _hints(columns: Sequence[tuple[str, str, bool]]) -> TTableSchemaColumns:
    return {
        name: TColumnSchema(name=name, data_type=data_type, nullable=nullable)  # type: ignore[typeddict-item]
        for name, data_type, nullable in columns
    }


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
    return _table(_EVENT_COLUMNS, rows)


def file_columns_table(facts: RunFacts) -> pa.Table:
    """One row per header column of each version loaded in the package."""
    rows = [
        (e.data_source, e.key, e.etag, position, name, key)
        for e in facts.events
        if e.event == "loaded" and e.header is not None and e.column_keys is not None
        for position, (name, key) in enumerate(zip(e.header, e.column_keys, strict=True), start=1)
    ]
    return _table(_FILE_COLUMN_COLUMNS, rows)


def data_sources_table(facts: RunFacts) -> pa.Table:
    """The data source's location and profile as this run reached them (none when it failed)."""
    rows = [(facts.data_source, facts.location, facts.profile, facts.run_id, facts.finished_at)]
    return _table(_DATA_SOURCE_COLUMNS, rows if facts.source_reached else [])


def runs_table(facts: RunFacts) -> pa.Table:
    summary = json.dumps(facts.summary, default=str)
    return _table(
        _RUN_COLUMNS, [(facts.run_id, facts.data_source, facts.started_at, facts.finished_at, facts.as_of, summary,
                        True)],
    )  # fmt: skip


def _after_reading(facts: Callable[[], RunFacts | None], build: Callable[[RunFacts], pa.Table]) -> Iterator[pa.Table]:
    """A fact table, made when it is first pulled: after the rows resource is exhausted (fifo extraction)."""
    known = facts()
    if known is None:
        raise FocusIngestError(
            "dlt pulled the file events before the rows were read; extraction must be first in, first out "
            "(EXTRACT__NEXT_ITEM_MODE=fifo)."
        )
    yield build(known)


def focus_files(
    schema_name: str,
    rows: Iterator[pa.Table],
    row_hints: TTableSchemaColumns,
    facts: Callable[[], RunFacts | None],
) -> DltSource:
    """The package of one data source's run. `facts` returns None until `rows` is exhausted."""

    @dlt.source(name=schema_name, max_table_nesting=0)
    def source() -> Any:
        def resource(name: str, columns: TTableSchemaColumns, data: Iterator[pa.Table], contract: Any) -> Any:
            return dlt.resource(
                data, name=name, write_disposition="append", file_format="parquet", columns=columns,
                schema_contract=contract,
            )  # fmt: skip

        return (
            resource(ROWS_TABLE, row_hints, rows, _ROWS_CONTRACT),
            resource(EVENTS_TABLE, _hints(_EVENT_COLUMNS), _after_reading(facts, events_table), _FACTS_CONTRACT),
            resource(COLUMNS_TABLE, _hints(_FILE_COLUMN_COLUMNS), _after_reading(facts, file_columns_table),
                     _FACTS_CONTRACT),
            resource(DATA_SOURCES_TABLE, _hints(_DATA_SOURCE_COLUMNS), _after_reading(facts, data_sources_table),
                     _FACTS_CONTRACT),
            resource(RUNS_TABLE, _hints(_RUN_COLUMNS), _after_reading(facts, runs_table), _FACTS_CONTRACT),
        )  # fmt: skip

    return source()
