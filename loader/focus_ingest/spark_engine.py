"""`run --engine spark`: the dbt project built by Apache Spark over the lake, its results read back by DuckDB.

Spark runs inside this process (dbt-spark's `session` method, profiles.yml's `spark` target). Its metastore
and warehouse (seeds, intermediate tables) live in `<work dir>/spark/`; the marts are Parquet under
`<lake>/marts/<model>/` (dbt_project.yml's `location_root`), so DuckDB, Athena or Trino read them too. After
the build, the database gets views over those files (`publish_lake_marts`), next to the raw views and the
reference seeds, so that the run summary, `status` and `report` read Spark's results as they read DuckDB's.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import duckdb

from focus_ingest.errors import ConfigError
from focus_ingest.settings import Lake
from focus_ingest.state import connect

logger = logging.getLogger(__name__)

SPARK_DIR_VARIABLE = "FOCUS_INGEST_SPARK_DIR"  # read by profiles.yml's `spark` target
SPARK_TARGET = "spark"
MARTS_SCHEMA = "marts"
MARTS_FOLDER = "marts"  # under the lake, as dbt_project.yml's location_root says
# Where a Spark or Java error stops being a message and becomes a plan or a trace.
_TRACE_START = re.compile(
    r"^\s*(JVM stacktrace:|at [\w$.]+\(|org\.apache\.|java\.|scala\.|py4j\.|Caused by:|== .+ ==\s*$|"
    r"Traceback \(most recent call last\))"
)


_LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
"""


def spark_dir(work_dir: Path) -> Path:
    """Spark's metastore, warehouse and Derby log: beside the database's other scratch files."""
    return work_dir / "spark"


def check_spark_ready() -> None:
    """Refuse `--engine spark` in one line, before anything loads, when Spark cannot start here."""
    missing = [name for name in ("pyspark", "dbt.adapters.spark") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"--engine spark needs {' and '.join(missing)}: install them with "
            "pip install 'focus-ingest[spark]' (or run with --engine duckdb)."
        )
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin" / "java").is_file()):
        raise ConfigError(
            "--engine spark needs Java 17: install it (e.g. apt-get install openjdk-17-jre-headless) and put "
            "`java` on PATH or set JAVA_HOME (or run with --engine duckdb)."
        )


def spark_environment(work_dir: Path) -> dict[str, str]:
    """What profiles.yml's `spark` target reads, and Spark's configuration folder (`SPARK_CONF_DIR`, read by
    the JVM's launcher), whose log4j2 file sends Spark's own log to `<spark dir>/spark.log`: on the console
    it repeats a warning per dbt node and prints Java traces, which must not reach the operator (dbt's
    errors, cut to their message, say what failed). The folders are made here: Derby does not make them."""
    folder = spark_dir(work_dir).resolve()
    conf = folder / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "log4j2.properties").write_text(_LOG4J2.format(log=folder / "spark.log"), encoding="utf-8")
    return {SPARK_DIR_VARIABLE: str(folder), "SPARK_CONF_DIR": str(conf)}


def short_spark_error(message: str) -> str:
    """A dbt error raised by Spark without its query plan and its Java or Python trace: the lines before
    the first line of one (a traceback must not reach the operator; dbt's log keeps the whole text)."""
    kept: list[str] = []
    for line in message.splitlines():
        if _TRACE_START.match(line):
            break
        if line.strip():
            kept.append(line.strip())
    return " ".join(kept) if kept else message.strip().splitlines()[0]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _mart_relation(folder: Path) -> str | None:
    """DuckDB's reading of one mart's Parquet folder; None when Spark wrote no file (a partitioned table
    with no row has none). Partition folders (`x_DataSourceId=…/`) become columns again, as text."""
    files = sorted(folder.glob("**/*.parquet"))
    if not files:
        return None
    partitioned = any(part.is_dir() and "=" in part.name for part in folder.iterdir())
    hive = "hive_partitioning = true, hive_types_autocast = false" if partitioned else "hive_partitioning = false"
    return f"select * from read_parquet({_quoted(str(folder / '**' / '*.parquet'))}, {hive}, union_by_name = true)"


def _empty_mart(connection: duckdb.DuckDBPyConnection, mart: str) -> None:
    """A mart without files: an empty table typed like Spark's. dbt-spark's session is still this process's
    default one (its builder's `getOrCreate`), so the same call returns it, with its metastore."""
    from pyspark.sql import SparkSession  # only on this path, which has just run Spark

    empty = SparkSession.builder.getOrCreate().table(f"{MARTS_SCHEMA}.{mart}").limit(0).toArrow()
    connection.register("empty_mart", empty)
    try:
        connection.execute(f"create or replace table {MARTS_SCHEMA}.{mart} as select * from empty_mart")
    finally:
        connection.unregister("empty_mart")


def publish_lake_marts(database: Path, lake: Lake, marts: Iterable[str]) -> None:
    """Make `marts.<model>` in the database a view over the Parquet Spark wrote under `<lake>/marts/`.

    Views, not copies: the files are the marts, and a view reads what the last build left. A table made
    for an empty mart (see `_empty_mart`) is replaced by a view once it has files.
    """
    with connect(database) as connection:
        connection.execute(f"create schema if not exists {MARTS_SCHEMA}")
        for mart in marts:
            existing = connection.execute(
                "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
                [MARTS_SCHEMA, mart],
            ).fetchone()
            if existing is not None:
                kind = "view" if existing[0] == "VIEW" else "table"
                connection.execute(f"drop {kind} {MARTS_SCHEMA}.{mart}")
            relation = _mart_relation(Path(lake.url) / MARTS_FOLDER / mart)  # local: Spark on s3 is refused
            if relation is None:
                _empty_mart(connection, mart)
            else:
                connection.execute(f"create view {MARTS_SCHEMA}.{mart} as {relation}")
    logger.debug("published the lake's marts in %s", database)
