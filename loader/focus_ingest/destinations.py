"""Where the raw layer goes: the DuckDB database (the default) or a Parquet lake (`--lake`): a local folder
or an S3 prefix.

On the lake, dlt's filesystem destination writes each table under `<lake>/raw/<table>/data_source=<slug>/`
(`LAKE_LAYOUT`), so the loaders of different data sources never write the same files, and its commit is the
file `<lake>/raw/_dlt_loads/<schema>__<load_id>.jsonl`, written after every other file of the package. The
loader's own questions (known versions) and dbt (macros/register_raw_relations.sql) read the lake through
DuckDB views named like the database's tables, so that one SQL text (known_versions.py, the models) serves
both destinations. The views read the Parquet files without hive partitioning: the partition column
`data_source` (the slug) would replace the `data_source` column the event tables carry (the name).

An S3 lake is reached through s3fs (the `lake-s3` extra) with the default AWS credential chain: dlt's
filesystem destination writes with it, and DuckDB reads with it, registered on the database instance
(`lake_access`), because this DuckDB build has no httpfs extension (and may not download one).
"""

from __future__ import annotations

import contextlib
import hashlib
import posixpath
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from focus_ingest.errors import ConfigError, FocusIngestError
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
from focus_ingest.settings import Lake
from focus_ingest.state import LOADS_TABLE, RAW_SCHEMA, ROWS_TABLE, connect, table_exists

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


LAKE_LAYOUT = "{table_name}/data_source={data_source}/{load_id}.{file_id}.{ext}"
LOAD_MARKER_SUFFIX = ".jsonl"
LAKE_TABLE = "lake"  # raw.lake: the one lake a database's raw views read (`check_database_fits`)
S3_EXTRA = "pip install 'focus-ingest[lake-s3]'"
_DUCKDB_TYPES = {"text": "varchar", "bigint": "bigint", "timestamp": "timestamptz", "date": "date", "bool": "boolean"}
# dlt's columns of `_dlt_loads` (one JSON object per marker file on the filesystem).
LOADS_COLUMNS = (
    ("load_id", "varchar"),
    ("schema_name", "varchar"),
    ("status", "bigint"),
    ("inserted_at", "timestamptz"),
    ("schema_version_hash", "varchar"),
)


def dlt_destination(database: Path, lake: Lake | None, memory_limit: str, data_source_slug: str) -> Any:
    """dlt's destination of one data source's pipeline: the database file, or the lake with its layout."""
    import dlt  # heavy import, only where a pipeline is made
    from dlt.common.configuration.specs import AwsCredentials
    from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

    if lake is None:
        credentials = DuckDbCredentials(str(database.resolve()), global_config={"memory_limit": memory_limit})
        return dlt.destinations.duckdb(credentials)
    # The default AWS chain (dlt's AwsCredentials resolves it); only the endpoint is ours to give.
    aws = AwsCredentials(endpoint_url=lake.endpoint_url) if lake.is_s3 and lake.endpoint_url else None
    return dlt.destinations.filesystem(
        bucket_url=lake.url,
        credentials=aws,
        layout=LAKE_LAYOUT,
        extra_placeholders={"data_source": data_source_slug},
    )


def lake_filesystem(lake: Lake) -> AbstractFileSystem:
    """The lake's files through fsspec: s3fs with the default AWS chain for S3, the local disk otherwise."""
    if not lake.is_s3:
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()
    try:
        import s3fs
    except ImportError:
        raise ConfigError(f"--lake {lake}: an S3 lake needs s3fs: {S3_EXTRA}") from None
    # No listings cache: dlt (its own s3fs) writes the files this one lists, and a cached listing from
    # before the load hides them (DuckDB then fails on a file s3fs says does not exist).
    return s3fs.S3FileSystem(endpoint_url=lake.endpoint_url, use_listings_cache=False)


def check_lake(lake: Lake) -> None:
    """Before anything runs: one ListObjectsV2 on an S3 lake, so a missing bucket, a denial or an endpoint
    that does not answer is one line now rather than a dlt traceback after the whole read."""
    if not lake.is_s3:
        return
    lake_filesystem(lake)  # s3fs is installed: the extra is named before the network is asked
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = lake.url[len("s3://") + len(lake.bucket) :].strip("/")
    client = boto3.client(
        "s3", endpoint_url=lake.endpoint_url, config=Config(connect_timeout=5, retries={"max_attempts": 2})
    )
    try:
        client.list_objects_v2(Bucket=lake.bucket, Prefix=f"{prefix}/" if prefix else "", MaxKeys=1)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code == "NoSuchBucket":
            raise FocusIngestError(f"--lake {lake}: the bucket {lake.bucket!r} does not exist; create it.") from None
        raise FocusIngestError(
            f"--lake {lake}: S3 refused to list it ({code or error}); the lake needs s3:ListBucket, s3:GetObject, "
            "s3:PutObject and s3:DeleteObject for the default AWS credentials (not --role-arn's)."
        ) from None
    except BotoCoreError as error:  # no endpoint, no credentials
        raise FocusIngestError(f"--lake {lake}: {error}; check --lake-endpoint-url and the AWS credentials.") from None


def _stored_lake(connection: duckdb.DuckDBPyConnection) -> tuple[str, str | None] | None:
    """(table type of raw._dlt_loads, the lake recorded in raw.lake) of a database, None without a raw layer."""
    row = connection.execute(
        "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
        [RAW_SCHEMA, LOADS_TABLE],
    ).fetchone()
    recorded = None
    if table_exists(connection, RAW_SCHEMA, LAKE_TABLE):
        stored = connection.execute(f"select url from {RAW_SCHEMA}.{LAKE_TABLE}").fetchone()
        recorded = None if stored is None else str(stored[0])
    if row is None and recorded is None:
        return None
    return ("VIEW" if row is None else str(row[0])), recorded


def check_database_fits(database: Path, lake: Lake | None, bind: bool = False) -> None:
    """Refuse a database whose raw layer belongs to another destination: dlt's tables and a lake's views
    have the same names, and one cannot replace the other (nor should: the loads would split in two); and
    views over one lake must not be read or rebuilt over another. `bind` (a run) records the lake in a
    database that has none recorded yet, so that every later command is held to it."""
    if lake is not None:
        check_lake(lake)
    if not database.exists() and not (bind and lake is not None):
        return
    with connect(database, read_only=not bind) as connection:
        found = _stored_lake(connection)
        kind, recorded = found or (None, None)
        if lake is not None and kind not in (None, "VIEW"):
            raise ConfigError(
                f"--lake: {database} already holds a raw layer loaded without a lake; drop --lake to use it, or "
                "give the lake its own --database."
            )
        if lake is None and kind == "VIEW":
            again = f" {recorded}" if recorded else ""
            raise ConfigError(f"{database} reads its raw layer from a lake: pass the same --lake{again} ([run] lake).")
        if lake is not None and recorded not in (None, lake.url):
            raise ConfigError(
                f"--lake {lake}: {database} reads its raw layer from another lake, {recorded}; pass that one, or "
                "give this lake its own --database."
            )
        if bind and lake is not None and recorded is None:
            connection.execute(f"create schema if not exists {RAW_SCHEMA}")
            connection.execute(f"create table {RAW_SCHEMA}.{LAKE_TABLE} (url varchar not null)")
            connection.execute(f"insert into {RAW_SCHEMA}.{LAKE_TABLE} values (?)", [lake.url])


def pipelines_dir(work_dir: Path, lake: Lake | None) -> Path:
    """dlt's local working folder: one per destination, so that switching `--lake` on or off (or to another
    lake) never resumes a package or a local schema meant for another destination."""
    if lake is None:
        return work_dir / "dlt"
    return work_dir / "dlt-lake" / hashlib.sha256(str(lake).encode("utf-8")).hexdigest()[:12]


def completed_load_ids(lake: Lake, schema_name: str | None = None) -> list[str]:
    """Load ids of the completed loads in the lake (of one dlt schema, i.e. one data source, when given):
    the marker's file name says it all, so nothing is read (one listing on S3)."""
    markers = lake_filesystem(lake).glob(lake.join(RAW_SCHEMA, LOADS_TABLE, f"{schema_name or '*'}__*"))
    names = (posixpath.basename(marker)[: -len(LOAD_MARKER_SUFFIX)] for marker in markers)
    # `<schema>__<load id>`: a load id has no `__`, so the last one splits; the schema must match whole
    return [load_id for schema, load_id in (name.rsplit("__", 1) for name in names) if schema_name in (None, schema)]


def lake_data_version(lake: Lake) -> str | None:
    """The largest completed load id of the lake (all data sources): what the marts are built from."""
    return max(completed_load_ids(lake), key=Decimal, default=None)  # ids are times; exact as numbers


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def register_lake(connection: duckdb.DuckDBPyConnection, lake: Lake | None) -> None:
    """Let DuckDB read an S3 lake: s3fs registered on the connection's database instance, which every
    connection to the same file in this process shares (dbt-duckdb's too, `lake_access`)."""
    if lake is not None and lake.is_s3:
        connection.register_filesystem(lake_filesystem(lake))


@contextlib.contextmanager
def lake_access(database: Path, lake: Lake | None) -> Iterator[None]:
    """While dbt runs over an S3 lake: a connection to the database with the lake registered, held open so
    that dbt-duckdb's connection (same file, same configuration) gets this instance, s3fs included."""
    if lake is None or not lake.is_s3:
        yield
        return
    connection = duckdb.connect(str(database.resolve()), read_only=False, config={})  # dbt-duckdb's own form
    try:
        register_lake(connection, lake)
        yield
    finally:
        connection.close()


@contextlib.contextmanager
def lake_database(database: Path, lake: Lake | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a database whose raw views may read an S3 lake (`status`, `report`)."""
    with connect(database, read_only=True) as connection:
        register_lake(connection, lake)
        yield connection


@contextlib.contextmanager
def raw_layer(
    database: Path, lake: Lake | None, data_source_slug: str, schema_name: str
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
        register_lake(connection, lake)
        files = lake_filesystem(lake)
        connection.execute(f"create schema {RAW_SCHEMA}")
        load_ids = completed_load_ids(lake, schema_name)
        if load_ids:
            connection.execute(f"create table {RAW_SCHEMA}.{LOADS_TABLE} (load_id varchar, status bigint)")
            connection.executemany(f"insert into {RAW_SCHEMA}.{LOADS_TABLE} values (?, 0)", [[i] for i in load_ids])
        for table in (EVENTS_TABLE, DATA_SOURCES_TABLE):
            pattern = lake.join(RAW_SCHEMA, table, f"data_source={data_source_slug}", "*.parquet")
            if files.glob(pattern):
                connection.execute(
                    f"create view {RAW_SCHEMA}.{table} as select * from read_parquet("
                    f"{_quoted(pattern)}, hive_partitioning = false, union_by_name = true)"
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
