"""The dlt source of one data source's run: its rows and the facts about them, in one load package.

Every resource is append-only and gets pyarrow tables (never dicts; raw_tables.py builds them, from the
same column lists these hints declare). `file_versions` is an event log: one
event per file version a run read (`loaded`, `rejected`) or found gone (`deleted`). Because the rows of a
version and its `loaded` event travel in the same package, they commit together: dlt writes the package's
row in `_dlt_loads` only after every table of it is in, and nothing counts before that row exists
(`known_versions.py`, the dbt models over `raw._dlt_loads`). `docs/raw-layer.md` describes every table.

The event tables are produced after the rows resource is exhausted: the source is extracted first in,
first out (`EXTRACT__NEXT_ITEM_MODE=fifo`, set by `pipeline.py`), and each event resource checks that the
reading has finished, so a different extraction order fails loudly instead of losing events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.schema.typing import TColumnSchema, TTableSchemaColumns
from dlt.extract.source import DltSource

from focus_ingest.errors import FocusIngestError
from focus_ingest.raw_tables import (
    COLUMNS_TABLE,
    DATA_SOURCE_COLUMNS,
    DATA_SOURCES_TABLE,
    EVENT_COLUMNS,
    EVENTS_TABLE,
    FILE_COLUMN_COLUMNS,
    RUN_COLUMNS,
    RUNS_TABLE,
    RunFacts,
    data_sources_table,
    events_table,
    file_columns_table,
    runs_table,
)
from focus_ingest.state import ROWS_TABLE

# The fact tables' columns are all declared: a new one would be our bug. Rows take new `x_` columns.
_FACTS_CONTRACT: dict[str, Any] = {"tables": "evolve", "columns": "freeze", "data_type": "freeze"}
_ROWS_CONTRACT: dict[str, Any] = {"tables": "evolve", "columns": "evolve", "data_type": "freeze"}


def _hints(columns: Sequence[tuple[str, str, bool]]) -> TTableSchemaColumns:
    return {
        name: TColumnSchema(name=name, data_type=data_type, nullable=nullable)  # type: ignore[typeddict-item]
        for name, data_type, nullable in columns
    }


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
            resource(EVENTS_TABLE, _hints(EVENT_COLUMNS), _after_reading(facts, events_table), _FACTS_CONTRACT),
            resource(COLUMNS_TABLE, _hints(FILE_COLUMN_COLUMNS), _after_reading(facts, file_columns_table),
                     _FACTS_CONTRACT),
            resource(DATA_SOURCES_TABLE, _hints(DATA_SOURCE_COLUMNS), _after_reading(facts, data_sources_table),
                     _FACTS_CONTRACT),
            resource(RUNS_TABLE, _hints(RUN_COLUMNS), _after_reading(facts, runs_table), _FACTS_CONTRACT),
        )  # fmt: skip

    return source()
