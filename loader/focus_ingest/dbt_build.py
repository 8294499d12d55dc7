"""Running the dbt project (validation and marts) on the database the loader just wrote.

dbt runs in-process through its programmatic runner, after the load has released the database: DuckDB
allows one writer at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from focus_ingest import state
from focus_ingest.dbt_progress import DbtProgress
from focus_ingest.dbt_project_files import project_files
from focus_ingest.errors import ConfigError, FocusIngestError
from focus_ingest.settings import DEFAULT_MEMORY_LIMIT, ENGINES, Lake

logger = logging.getLogger(__name__)

DATABASE_VARIABLE = "FOCUS_INGEST_DATABASE"  # read by profiles.yml
MEMORY_LIMIT_VARIABLE = "FOCUS_INGEST_MEMORY_LIMIT"  # read by profiles.yml
PACKAGED_PROJECT = "dbt_project"  # focus_ingest/dbt_project/ in a built package (setup.py copies it there)
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]  # loader/focus_ingest/ -> the repository


def project_dir() -> Path:
    """The dbt project: inside the installed package (a wheel, `pip install .`, pipx), else the repository
    root (a checkout, an editable install). An installed package is a folder on disk, never a zip: dbt
    reads the project by path."""
    for candidate in (Path(str(files("focus_ingest") / PACKAGED_PROJECT)), REPOSITORY_ROOT):
        if (candidate / "dbt_project.yml").is_file():
            return candidate
    raise ConfigError(
        f"The dbt project (dbt_project.yml) was not found in {files('focus_ingest') / PACKAGED_PROJECT} nor in "
        f"{REPOSITORY_ROOT}: this installation of focus-ingest is incomplete; reinstall it from a wheel or "
        "with `pip install .` in its repository."
    )


def project_fingerprint() -> str:
    """A hash of the dbt project's files: a build is only current for the project that made it.

    Not a copy of the dbt macro `validation_fingerprint`: this one is needed before dbt runs (to skip a
    build, to key the compiled validation cache) and covers every file, tests and profiles included; the
    macro is computed inside every `dbt build`, also one run without the loader (`dbt build` by hand, the
    Spark lake), and keeps the incremental validation results only while models, seeds and macros are
    unchanged.
    """
    root = project_dir()
    digest = hashlib.sha256()
    for relative in project_files(root):
        digest.update(relative.as_posix().encode() + b"\0" + (root / relative).read_bytes())
    return digest.hexdigest()


def _release_database() -> None:
    """Close the DuckDB instance dbt-duckdb keeps for the process after a build.

    Left open, it holds the file's lock and makes DuckDB refuse any later connection with another
    configuration (read-only, say) in this process. dbt-duckdb has no public way to close it: its
    `close_all_connections` only drops the reference, leaving the lock to the garbage collector, so this
    closes `_ENV` the way dbt-duckdb itself does when its credentials change (connections.py). Covered by
    every in-process `run`, which reads the verdicts read-only right after the build.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.duckdb.environments import Environment

    with DuckDBConnectionManager._LOCK:
        environment: Environment | None = DuckDBConnectionManager._ENV  # declared `= None`, so typed None
        if environment is not None:
            environment.close()  # type: ignore[no-untyped-call]  # dbt-duckdb leaves close() unannotated
            DuckDBConnectionManager._ENV = None


@dataclass(frozen=True)
class DbtResult:
    """How one dbt command ended: whether every node (or the operation) passed, and its first errors."""

    success: bool
    errors: tuple[str, ...]


def run_dbt(
    command: tuple[str, ...],
    database: Path,
    work_dir: Path,
    quiet: bool = False,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    verbose: bool = False,
    listeners: tuple[Callable[[Any], None], ...] = (),
    lake: Lake | None = None,
    engine: str = ENGINES[0],
) -> DbtResult:
    """One dbt command (`build ...`, `run-operation ...`) against `database`, DuckDB's memory bounded.

    dbt's console log is off (stdout is the command's); progress goes to stderr through `DbtProgress`, and
    `quiet` leaves only errors. dbt's full log stays in `<work dir>/dbt-logs/dbt.log`. `listeners` see
    every dbt event too (the vacuum reads its macro's log line). Raises FocusIngestError when dbt could
    not run at all; a failed node or operation is a result with success False. With a `lake`, the raw
    relations are views over its Parquet files (macros/register_raw_relations.sql) and the models stay in
    the database. `engine` "spark" runs it on profiles.yml's `spark` target (spark_engine.py) instead.
    """
    from dbt.cli.main import dbtRunner, dbtRunnerResult  # heavy import, only for commands that run dbt

    from focus_ingest.destinations import lake_access  # s3fs for DuckDB: only a build over an S3 lake uses it

    os.environ[DATABASE_VARIABLE] = str(database.resolve())
    os.environ[MEMORY_LIMIT_VARIABLE] = memory_limit
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    on_spark = engine == "spark"
    if on_spark:
        from focus_ingest import spark_engine  # only for a build on Spark

        os.environ.update(spark_engine.spark_environment(work_dir))
    project = project_dir()
    log_path = work_dir / "dbt-logs"
    arguments = [
        *command,
        *("--project-dir", str(project), "--profiles-dir", str(project)),
        *("--target-path", str(work_dir / "dbt-target"), "--log-path", str(log_path)),
        *("--log-level", "none", "--log-level-file", "debug" if verbose else "info", "--no-use-colors"),
        *(_lake_vars(lake, project) if lake is not None else ()),
        *(("--target", spark_engine.SPARK_TARGET) if on_spark else ()),
    ]
    logger.debug("dbt %s", " ".join(arguments))
    if not quiet:
        logger.info("dbt %s: started; dbt's log is %s", command[0], log_path / "dbt.log")
    progress = DbtProgress(verbose=verbose, quiet=quiet)
    with lake_access(database, lake):
        try:
            result = dbtRunner(callbacks=[progress, *listeners]).invoke(arguments)
        except Exception as error:  # dbt raised instead of returning its result
            result = dbtRunnerResult(success=False, exception=error)
        finally:
            _release_database()
            progress.finish()
    errors = tuple(spark_engine.short_spark_error(error) for error in progress.errors) if on_spark else progress.errors
    if result.exception is not None:
        first = errors[0] if errors else f"{type(result.exception).__name__}: {result.exception}"
        if on_spark:
            first = spark_engine.short_spark_error(first)
        raise FocusIngestError(
            f"dbt {command[0]} could not run: {_one_line(first)} (dbt's log: {log_path / 'dbt.log'})"
        )
    return DbtResult(bool(result.success), tuple(errors))


def run_dbt_build(
    database: Path,
    work_dir: Path,
    quiet: bool = False,
    extra_args: tuple[str, ...] = (),
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    verbose: bool = False,
    lake: Lake | None = None,
    engine: str = ENGINES[0],
) -> bool:
    """`dbt build` against `database` (see `run_dbt`); True when every model and test passed."""
    command = ("build", "--exclude-resource-type", "unit_test", *extra_args)  # unit tests: pytest runs them
    result = run_dbt(
        command, database, work_dir, quiet=quiet, memory_limit=memory_limit, verbose=verbose, lake=lake,
        engine=engine,
    )  # fmt: skip
    for message in result.errors:
        logger.error("dbt: %s", message)
    if not result.success:
        logger.error("dbt build failed; dbt's log: %s", work_dir / "dbt-logs" / "dbt.log")
    return result.success


def _publish_spark_results(
    database: Path, work_dir: Path, quiet: bool, memory_limit: str, verbose: bool, lake: Lake
) -> bool:
    """After a Spark build, give the database what the loader's readers expect of it: the raw views and the
    reference seeds (one `dbt seed` on DuckDB, whose on-run-start hook makes the views), and views over the
    marts Spark wrote into the lake."""
    from focus_ingest.spark_engine import publish_lake_marts  # only after a build on Spark

    seeded = run_dbt(("seed",), database, work_dir, quiet=True, memory_limit=memory_limit, verbose=verbose, lake=lake)
    for message in seeded.errors:
        logger.error("dbt seed (DuckDB, after Spark): %s", message)
    if not seeded.success:
        return False
    marts = sorted(path.stem for path in (project_dir() / "models" / "marts").glob("*.sql"))
    publish_lake_marts(database, lake, marts)
    if not quiet:
        logger.info("the database reads the %d marts Spark wrote under %s", len(marts), lake.join("marts"))
    return True


def _lake_vars(lake: Lake, project: Path) -> tuple[str, str]:
    """`--vars` for register_raw_relations: the lake, and every raw table's typed columns (for the empty
    views of tables with no file yet) from the project's own lists, never from a live database."""
    from focus_ingest.destinations import raw_columns  # dlt's types: only for a build over a lake

    return ("--vars", json.dumps({"lake": lake.url, "lake_raw_columns": raw_columns(project)}))


def _one_line(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class BuildResult:
    state: str  # built | skipped | failed | not run
    reason: str = ""


def build_marts(
    database: Path,
    work_dir: Path,
    quiet: bool,
    force: bool = False,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    verbose: bool = False,
    lake: Lake | None = None,
    engine: str = ENGINES[0],
) -> BuildResult:
    """`dbt build`, unless the last successful build already covers this data and this dbt project (built
    by the same engine: the other one's marts are not where this one reads them)."""
    fingerprint = project_fingerprint() + ("" if engine == ENGINES[0] else f":{engine}")
    with state.connect(database) as connection:
        if lake is None:
            version = state.data_version(connection)
        else:
            from focus_ingest.destinations import lake_data_version  # only for a build over a lake

            version = lake_data_version(lake)
        if not force and state.build_is_current(connection, version, fingerprint):
            return BuildResult("skipped", "nothing changed since the last successful build; --rebuild forces it")
    built = run_dbt_build(
        database, work_dir, quiet=quiet, memory_limit=memory_limit, verbose=verbose, lake=lake, engine=engine
    )
    if built and engine == "spark" and lake is not None:
        built = _publish_spark_results(database, work_dir, quiet, memory_limit, verbose, lake)
    with state.connect(database) as connection:
        state.record_build(connection, version, fingerprint, built, datetime.now(UTC))
    if built:
        return BuildResult("built")
    return BuildResult("failed", f"see the errors above; dbt's log: {work_dir / 'dbt-logs' / 'dbt.log'}")
