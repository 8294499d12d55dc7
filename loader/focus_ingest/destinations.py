"""Where the raw layer goes: the DuckDB database (the default) or a Parquet lake in a local folder (`--lake`).

On the lake, dlt's filesystem destination writes each table under `<lake>/raw/<table>/data_source=<slug>/`
(`LAKE_LAYOUT`), so the loaders of different data sources never write the same files, and its commit is the
file `<lake>/raw/_dlt_loads/<schema>__<load_id>.jsonl`, written after every other file of the package. The
loader's own questions (known versions) and dbt (macros/register_raw_relations.sql) read the lake through
DuckDB views named like the database's tables, so that one SQL text (known_versions.py, the models) serves
both destinations. The views read the Parquet files without hive partitioning: the partition column
`data_source` (the slug) would replace the `data_source` column the event tables carry (the name).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from focus_ingest.errors import ConfigError
from focus_ingest.focus_catalog import focus_column_keys
from focus_ingest.raw_tables import (
    COLUMNS_TABLE,
    DATA_SOURCE_COLUMNS,
    DATA_SOURCES_TABLE,
    EVENT_COLUMNS,
    EVENTS_TABLE,
    FILE_COLUMN_COLUMNS,
    RUN_COLUMNS,
    RUNS_TABLE,
)
from focus_ingest.reading import ROW_NUMBER_COLUMN, Lineage, lineage_values
from focus_ingest.state import LOADS_TABLE, RAW_SCHEMA, ROWS_TABLE, connect

LAKE_LAYOUT = "{table_name}/data_source={data_source}/{load_id}.{file_id}.{ext}"
LOAD_MARKER_SUFFIX = ".jsonl"
_DUCKDB_TYPES = {"text": "varchar", "bigint": "bigint", "timestamp": "timestamptz", "date": "date", "bool": "boolean"}
# dlt's columns of `_dlt_loads` (one JSON object per marker file on the filesystem).
LOADS_COLUMNS = (
    ("load_id", "varchar"),
    ("schema_name", "varchar"),
    ("status", "bigint"),
    ("inserted_at", "timestamptz"),
    ("schema_version_hash", "varchar"),
)


def dlt_destination(database: Path, lake: Path | None, memory_limit: str, data_source_slug: str) -> Any:
    """dlt's destination of one data source's pipeline: the database file, or the lake with its layout."""
    import dlt  # heavy import, only where a pipeline is made
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    if lake is None:
        credentials = DuckDbCredentials(str(database.resolve()), global_config={"memory_limit": memory_limit})
        return dlt.destinations.duckdb(credentials)
    return dlt.destinations.filesystem(
        bucket_url=str(lake),
        layout=LAKE_LAYOUT,
        extra_placeholders={"data_source": data_source_slug},
    )


def check_database_fits(database: Path, lake: Path | None) -> None:
    """Refuse a database whose raw layer belongs to the other destination: dlt's tables and the lake's views
    have the same names, and one cannot replace the other (nor should: the loads would split in two)."""
    if not database.exists():
        return
    with connect(database) as connection:
        row = connection.execute(
            "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
            [RAW_SCHEMA, LOADS_TABLE],
        ).fetchone()
    if row is None:
        return
    if lake is not None and row[0] != "VIEW":
        raise ConfigError(
            f"--lake: {database} already holds a raw layer loaded without a lake; give the lake its own --database."
        )
    if lake is None and row[0] == "VIEW":
        raise ConfigError(f"{database} reads its raw layer from a lake: pass the same --lake (or [run] lake) again.")


def pipelines_dir(work_dir: Path, lake: Path | None) -> Path:
    """dlt's local working folder: one per destination, so that switching `--lake` on or off (or to another
    lake) never resumes a package or a local schema meant for another destination."""
    if lake is None:
        return work_dir / "dlt"
    return work_dir / "dlt-lake" / hashlib.sha256(str(lake).encode("utf-8")).hexdigest()[:12]


def completed_load_ids(lake: Path, schema_name: str | None = None) -> list[str]:
    """Load ids of the completed loads in the lake (of one dlt schema, i.e. one data source, when given):
    the marker's file name says it all, so nothing is read."""
    folder = lake / RAW_SCHEMA / LOADS_TABLE
    if not folder.is_dir():
        return []
    names = (marker.name[: -len(LOAD_MARKER_SUFFIX)] for marker in folder.glob(f"{schema_name or '*'}__*"))
    # `<schema>__<load id>`: a load id has no `__`, so the last one splits; the schema must match whole
    return [load_id for schema, load_id in (name.rsplit("__", 1) for name in names) if schema_name in (None, schema)]


def lake_data_version(lake: Path) -> str | None:
    """The largest completed load id of the lake (all data sources): what the marts are built from."""
    return max(completed_load_ids(lake), key=Decimal, default=None)  # ids are times; exact as numbers


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@contextlib.contextmanager
def raw_layer(
    database: Path, lake: Path | None, data_source_slug: str, schema_name: str
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection whose `raw` schema holds one data source's committed loads: the database itself, or an
    in-memory DuckDB with `raw._dlt_loads` (from the marker names of this data source's schema) and views
    over the data source's event tables in the lake. Tables with no file yet are left out, as dlt leaves them
    out of a database before its first load (`known_versions.has_event_log`)."""
    if lake is None:
        with connect(database) as connection:
            yield connection
        return
    connection = duckdb.connect()
    try:
        connection.execute(f"create schema {RAW_SCHEMA}")
        load_ids = completed_load_ids(lake, schema_name)
        if load_ids:
            connection.execute(f"create table {RAW_SCHEMA}.{LOADS_TABLE} (load_id varchar, status bigint)")
            connection.executemany(f"insert into {RAW_SCHEMA}.{LOADS_TABLE} values (?, 0)", [[i] for i in load_ids])
        for table in (EVENTS_TABLE, DATA_SOURCES_TABLE):
            folder = lake / RAW_SCHEMA / table / f"data_source={data_source_slug}"
            if any(folder.glob("*.parquet")):
                connection.execute(
                    f"create view {RAW_SCHEMA}.{table} as select * from read_parquet("
                    f"{_quoted(str(folder / '*.parquet'))}, hive_partitioning = false, union_by_name = true)"
                )
        yield connection
    finally:
        connection.close()


def raw_columns(project: Path) -> dict[str, list[list[str]]]:
    """(name, DuckDB type) of every raw table's columns, for the typed empty views dbt makes over a lake
    table that has no file yet: the same lists dlt's hints come from (raw_tables.py, the FOCUS catalog)."""

    def typed(columns: tuple[tuple[str, str, bool], ...]) -> list[list[str]]:
        return [[name, _DUCKDB_TYPES[kind]] for name, kind, _ in columns] + [["_dlt_load_id", "varchar"]]

    lineage = [[name, "varchar"] for name in lineage_values(Lineage("", "", "", "", ""))]
    focus = [[key, "varchar"] for key in focus_column_keys(project)]
    return {
        ROWS_TABLE: [*lineage, [ROW_NUMBER_COLUMN, "bigint"], *focus, ["_dlt_load_id", "varchar"]],
        EVENTS_TABLE: typed(EVENT_COLUMNS),
        COLUMNS_TABLE: typed(FILE_COLUMN_COLUMNS),
        DATA_SOURCES_TABLE: typed(DATA_SOURCE_COLUMNS),
        RUNS_TABLE: typed(RUN_COLUMNS),
        LOADS_TABLE: [list(column) for column in LOADS_COLUMNS],
    }
