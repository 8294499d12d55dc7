"""`run --engine spark`: the same files give the same marts on Spark as on DuckDB, and its refusals.

The parity tests build the real project on a local Spark session (profiles.yml's `spark` target) over the
lake and on DuckDB over another lake from the same source folder: two months, `.csv.gz` files, a file
rejected for its currency, sub-accounts (the demo's data). Every mart is compared row for row, columns by
name, decimals as their exact text, timestamps as UTC instants; then again after a changed and a deleted
file; `focus_charges`' partition folders and `status` too. A Spark build killed part-way, then a normal run,
gives the same marts. Each Spark build takes minutes (docs/design/scale-out.md, "Stage 4 findings"), so each
state is built once. CI installs Java and pyspark (.ci/run, the `spark` extra): without them these tests fail,
they never skip.

The refusals (no lake, no Java, no pyspark, an unknown engine) are fast: they stop before anything loads.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from loader_helpers import query, run_cli

from focus_ingest import spark_engine
from focus_ingest.dbt_build import project_dir
from focus_ingest.pipeline import work_dir_for
from focus_ingest.sample_data import write_demo_tree
from focus_ingest.settings import Lake

AS_OF = "2025-03-15"
WINDOW = ("--as-of", AS_OF, "--lookback-months", "1")  # two months: 2025-02 and 2025-03 (its rejected file)
MARTS = tuple(sorted(path.stem for path in (project_dir() / "models" / "marts").glob("*.sql")))
SPARK_ENVIRONMENT = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
# Columns that name the loader's run (its load id, run id and time): the two engines' lakes are loaded by
# two runs, so these differ by construction; every other column of the mart is compared.
RUN_IDENTITY = {"month_versions": ("load_id", "run_id", "versioned_at")}
_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (?:OK|PASS|WARN|ERROR|FAIL|SKIP) (?!hook)")  # nodes, not hooks


# --- the refusals: one line, exit 2, nothing loaded --------------------------------------------------------


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "bucket"
    write_demo_tree(source, date(2025, 3, 15))
    return source


def _refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, *arguments: str) -> str:
    database = tmp_path / "focus.duckdb"
    status, _, err = run_cli(capsys, "run", "--source", str(_source(tmp_path)), "--database", str(database),
                             *WINDOW, *arguments)  # fmt: skip
    assert status == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not database.exists() and not (tmp_path / "lake").exists()  # refused before anything loaded
    return err


def test_spark_without_a_lake_is_refused_in_one_line(capsys, tmp_path):
    err = _refused(capsys, tmp_path, "--engine", "spark")
    assert "--engine spark needs --lake FOLDER" in err


def test_spark_on_an_s3_lake_is_refused_in_one_line(capsys, tmp_path):
    err = _refused(capsys, tmp_path, "--engine", "spark", "--lake", "s3://focus-lake/raw-layer/")
    assert "--engine spark needs a local --lake folder, not s3://focus-lake/raw-layer" in err


def test_spark_without_java_is_refused_in_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-java-here"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    err = _refused(capsys, tmp_path, "--engine", "spark", "--lake", str(tmp_path / "lake"))
    assert "--engine spark needs Java 17" in err


def test_spark_without_pyspark_is_refused_in_one_line(capsys, tmp_path, monkeypatch):
    real_find_spec = spark_engine.importlib.util.find_spec
    monkeypatch.setattr(
        spark_engine.importlib.util, "find_spec", lambda name: None if name == "pyspark" else real_find_spec(name)
    )
    err = _refused(capsys, tmp_path, "--engine", "spark", "--lake", str(tmp_path / "lake"))
    assert "--engine spark needs pyspark: install them with pip install 'focus-ingest[spark]'" in err


def test_an_unknown_engine_is_refused_on_the_command_line_and_in_the_config_file(capsys, tmp_path):
    err = _refused(capsys, tmp_path, "--engine", "flink")
    assert "--engine: invalid choice: 'flink'" in err

    config = tmp_path / "focus.toml"
    config.write_text(f'[run]\nengine = "flink"\n[[sources]]\nlocation = "{tmp_path / "bucket"}"\n')
    status, _, err = run_cli(capsys, "run", "--config", str(config), *WINDOW)
    assert status == 2
    assert "[run] engine: Input should be 'duckdb' or 'spark' (got 'flink')" in err
    assert len(err.strip().splitlines()) == 1


def test_a_spark_error_loses_its_plan_and_its_java_trace():
    message = (
        "Runtime Error in model costs_monthly (models/marts/costs_monthly.sql)\n"
        "  [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column cannot be resolved. SQLSTATE: 42703\n"
        "  == SQL (line 3, position 5) ==\n  select nope\n"
        "  JVM stacktrace:\n  org.apache.spark.sql.AnalysisException: ...\n"
        "  \tat org.apache.spark.sql.errors.QueryCompilationErrors$.unresolvedColumnError(Errors.scala:1)\n"
    )
    assert spark_engine.short_spark_error(message) == (
        "Runtime Error in model costs_monthly (models/marts/costs_monthly.sql) "
        "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column cannot be resolved. SQLSTATE: 42703"
    )


# --- parity: Spark against DuckDB, the same files ----------------------------------------------------------


def _run(database: Path, lake: Path, source: Path, *extra: str) -> dict[str, Any]:
    """`focus-ingest run --json` in its own process: Spark's JVM and dbt-duckdb's database end with it."""
    database.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "focus_ingest.cli", "run", "--source", str(source), "--database", str(database),
         "--lake", str(lake), *WINDOW, "--json", "--quiet", *extra],
        capture_output=True, text=True, timeout=3600, env=SPARK_ENVIRONMENT,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def _comparable(value: Any) -> Any:
    """Money as its exact digits and scale, instants in UTC: the two engines' types differ there on purpose
    (Spark's Parquet timestamps are instants, DuckDB's models keep naive UTC timestamps)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, list | tuple):
        return tuple(_comparable(item) for item in value)
    return value


def _mart(database: Path, mart: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """A mart's column names (sorted) and its rows in that column order, sorted."""
    columns = sorted(
        row[0]
        for row in query(
            database,
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
            [mart],
        )
    )
    compared = [column for column in columns if column not in RUN_IDENTITY.get(mart, ())]
    selected = ", ".join(f'"{column}"' for column in compared)
    rows = query(database, f"select {selected} from marts.{mart}")
    return tuple(columns), sorted((tuple(_comparable(value) for value in row) for row in rows), key=repr)


def _partition_folders(lake: Path) -> set[str]:
    folder = lake / "marts" / "focus_charges"
    return {path.parent.relative_to(folder).as_posix() for path in folder.glob("*/*/*.parquet")}


def _expected_partitions(database: Path) -> set[str]:
    rows = query(database, "select distinct x_DataSourceId, x_BillingMonth from marts.focus_charges")
    return {f"x_DataSourceId={source}/x_BillingMonth={month}" for source, month in rows}


def _status(database: Path, lake: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "focus_ingest.cli", "status", "--json", "--database", str(database),
         "--lake", str(lake)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    status = json.loads(done.stdout)
    return {
        "months": status["months"],
        "verdicts": status["verdicts"],
        "files": [{k: v for k, v in file.items() if k != "run_id"} for file in status["files"]],
    }


def _assert_equal_marts(spark: Path, spark_lake: Path, duck: Path, duck_lake: Path) -> None:
    for mart in MARTS:
        assert _mart(spark, mart) == _mart(duck, mart), mart
    assert _partition_folders(spark_lake) == _expected_partitions(duck)
    assert _status(spark, spark_lake) == _status(duck, duck_lake)


@pytest.mark.slow
def test_spark_builds_the_marts_of_duckdb_also_after_a_changed_and_a_deleted_file(tmp_path):
    source = _source(tmp_path)
    duck, spark = tmp_path / "duck" / "focus.duckdb", tmp_path / "spark" / "focus.duckdb"
    duck_lake, spark_lake = tmp_path / "duck" / "lake", tmp_path / "spark" / "lake"
    reference = _run(duck, duck_lake, source)
    first = _run(spark, spark_lake, source, "--engine", "spark")

    assert first["build"]["state"] == "built" and reference["build"]["state"] == "built"
    assert first["files_rejected"] == reference["files_rejected"] == 1  # the bad-currency file
    charges = query(duck, "select count(*), count(distinct x_SubAccountDataSourceId) from marts.focus_charges")[0]
    assert charges[0] > 0 and charges[1] > 1  # sub-accounts: the comparison compares something
    assert sorted(path.name for path in (spark_lake / "marts").iterdir()) == list(MARTS)
    _assert_equal_marts(spark, spark_lake, duck, duck_lake)
    before = _mart(duck, "costs_monthly")

    changed = source / "2025-02" / "focus-2025-02-1.csv"
    lines = changed.read_text().splitlines(keepends=True)
    changed.write_text("".join(lines[:-5]))  # five rows fewer: a new ETag, and marts that must change
    (source / "2025-03" / "focus-2025-03-2.csv.gz").unlink()
    _run(duck, duck_lake, source)
    again = _run(spark, spark_lake, source, "--engine", "spark")

    assert (again["sources"][0]["files_changed"], again["sources"][0]["files_deleted"]) == (1, 1)
    assert again["build"]["state"] == "built"
    assert _mart(duck, "costs_monthly") != before
    _assert_equal_marts(spark, spark_lake, duck, duck_lake)


def _kill_when_built(command: list[str], log: Path, share: float) -> tuple[int, int]:
    """Start `command`, SIGKILL its process group once `share` of dbt's nodes are done (dbt's log says
    `<n> of <total> OK`); the nodes done when it was killed, and all of them."""
    process = subprocess.Popen(command, env=SPARK_ENVIRONMENT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while process.poll() is None:
            done = [(int(n), int(total)) for n, total in _NODE_DONE.findall(log.read_text())] if log.exists() else []
            if done and max(done)[0] >= share * done[0][1]:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return max(done)
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    raise AssertionError(f"the run ended (status {process.returncode}) before it could be killed")


@pytest.mark.slow
def test_a_spark_build_killed_part_way_then_a_run_gives_the_marts_of_duckdb(tmp_path):
    source = _source(tmp_path)
    duck, spark = tmp_path / "duck" / "focus.duckdb", tmp_path / "spark" / "focus.duckdb"
    duck_lake, spark_lake = tmp_path / "duck" / "lake", tmp_path / "spark" / "lake"
    _run(duck, duck_lake, source)
    spark.parent.mkdir()
    command = [sys.executable, "-m", "focus_ingest.cli", "run", "--source", str(source), "--database", str(spark),
               "--lake", str(spark_lake), *WINDOW, "--engine", "spark", "--quiet"]  # fmt: skip

    killed_at, nodes = _kill_when_built(command, work_dir_for(spark) / "dbt-logs" / "dbt.log", share=2 / 3)

    assert nodes > 100 and 2 / 3 * nodes <= killed_at < nodes  # part-way through the build, not its hook
    after = _run(spark, spark_lake, source, "--engine", "spark")
    assert after["build"]["state"] == "built"  # the killed build left no record that it was done
    _assert_equal_marts(spark, spark_lake, duck, duck_lake)


@pytest.mark.slow
def test_a_mart_spark_wrote_no_file_for_is_an_empty_table_typed_like_spark_s_until_it_has_files(tmp_path):
    """A partitioned mart with no row has no Parquet file to read the columns from: the database gets an
    empty table with Spark's types instead, and the view once Spark has written files."""
    from pyspark.sql import SparkSession

    lake, database = tmp_path / "lake", tmp_path / "focus.duckdb"
    builder = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
    session = builder.config("spark.sql.warehouse.dir", str(tmp_path / "warehouse")).getOrCreate()
    session.conf.set("spark.sql.session.timeZone", "UTC")  # as profiles.yml's `spark` target
    session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    session.sql("create database if not exists marts")
    session.sql("drop table if exists marts.focus_charges")
    session.sql(
        "create table marts.focus_charges (BilledCost decimal(38, 18), ChargePeriodStart timestamp, "
        "x_DataSourceId string, x_BillingMonth string) using parquet partitioned by (x_DataSourceId, x_BillingMonth) "
        f"location '{lake}/marts/focus_charges'"
    )

    spark_engine.publish_lake_marts(database, Lake(str(lake)), ["focus_charges"])

    assert query(database, "select count(*) from marts.focus_charges") == [(0,)]
    assert query(
        database,
        "select column_name, data_type, table_type from information_schema.columns "
        "inner join information_schema.tables using (table_schema, table_name) "
        "where table_schema = 'marts' order by ordinal_position",
    ) == [
        ("BilledCost", "DECIMAL(38,18)", "BASE TABLE"),
        ("ChargePeriodStart", "TIMESTAMP WITH TIME ZONE", "BASE TABLE"),
        ("x_DataSourceId", "VARCHAR", "BASE TABLE"),
        ("x_BillingMonth", "VARCHAR", "BASE TABLE"),
    ]

    session.sql(
        "insert into marts.focus_charges values "
        "(1.000000000000000001, timestamp'2025-02-01 00:00:00', 'aws', '2025-02')"
    )
    spark_engine.publish_lake_marts(database, Lake(str(lake)), ["focus_charges"])

    # by name: the view reads the partition columns from the folder names, in its own order
    columns = "BilledCost, ChargePeriodStart, x_DataSourceId, x_BillingMonth"
    assert query(database, f"select {columns} from marts.focus_charges") == [
        (Decimal("1.000000000000000001"), datetime(2025, 2, 1, tzinfo=UTC), "aws", "2025-02")
    ]
    assert query(database, "select table_type from information_schema.tables where table_name = 'focus_charges'") == [
        ("VIEW",)
    ]
