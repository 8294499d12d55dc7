"""The validation models as dbt compiled them, cached per project, run on DuckDB without dbt.

`focus-ingest validate` must give the verdicts ingestion gives, so it runs the project's own models; but
starting dbt, parsing the project and loading the seeds costs seconds on every call. dbt builds the
validation models (`+file_validation +validation_errors`) once per project fingerprint on a template raw
layer written by the real loader (loader/focus_ingest/validation_build.py); the SQL dbt compiled for each
model, in dbt's order, and the database it left (seeds loaded by dbt, raw tables in the loader's shape, the
views dbt created, table models dropped) are cached under a per-user folder. A validate call copies that
database and executes the table models' SQL on it: what it runs is what dbt build runs. It imports neither
dlt nor dbt (about 1 s of every call); they are imported only to build an entry.

Two things make that SQL valid for any file. The raw layer has every FOCUS column and alias the project
knows (loader/focus_ingest/focus_catalog.py, as on any load), so a file without one has nulls there, as in a shared raw
layer; the template file's header carries them all as well. (A validate call shows it as a view: the files'
own columns and typed nulls for the others, validate.py `_rows_view`.) And the template database has no table
model relations, so incremental models compiled as first builds (their pre-hooks only act on an existing
relation).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import duckdb
import yaml

from focus_ingest import state
from focus_ingest.dbt_build import project_dir, project_fingerprint
from focus_ingest.errors import FocusIngestError

VALIDATION_MODELS = ("+file_validation", "+validation_errors")
CATALOG = "validate"  # the stem of the database file: compiled SQL names relations "validate"."schema"."name"
CACHE_FORMAT = 3  # bump when what is cached (or how it is used) changes
CACHE_VARIABLE = "FOCUS_INGEST_CACHE_DIR"
PLAN = "plan.json"
TEMPLATE = "template.duckdb"
# DuckDB's optimizer spends ~0.6 s of CPU on the 195 kB row-check model whatever the rows; up to this many
# rows the models run faster unoptimized (1,000 rows: 0.63 s against 1.20 s), beyond it the optimizer's
# pruning pays and bounds memory (10,000 rows unoptimized: 408 MB against 174 MB; 100,000: out of memory).
# Measured in BENCHMARKS.md; the optimizer does not change results (test_validate_cached.py).
UNOPTIMIZED_MAX_ROWS = 5_000


@dataclass(frozen=True)
class CompiledModel:
    """One model: its relation as dbt names it, how dbt materializes it, and the SQL dbt compiled."""

    unique_id: str
    relation: str
    kind: str  # view | table
    sql: str


@dataclass(frozen=True)
class CompiledValidation:
    """A cache entry: the template database and the models to run on a copy of it, in dbt's order."""

    folder: Path
    models: tuple[CompiledModel, ...]
    column_keys: dict[str, str] = field(default_factory=dict)  # header name -> dlt's raw column, as dlt gave it

    @property
    def template(self) -> Path:
        return self.folder / TEMPLATE

    def database_in(self, scratch: Path) -> Path:
        """A private copy of the template database in `scratch`, named so that the compiled SQL finds it."""
        database = scratch / f"{CATALOG}.duckdb"
        try:
            shutil.copyfile(self.template, database)
        except FileNotFoundError:
            raise FocusIngestError(f"The validation cache {self.folder} is incomplete: delete that folder.") from None
        return database

    def run(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Build every table model on the connection's raw layer, as `dbt build --select` would on a fresh
        database; the views are in the template as dbt created them, and DuckDB binds them when read. Small
        inputs run without DuckDB's optimizer (UNOPTIMIZED_MAX_ROWS)."""
        (rows,) = state.single_row(connection.execute(f"select count(*) from {state.RAW_SCHEMA}.{state.ROWS_TABLE}"))
        if rows <= UNOPTIMIZED_MAX_ROWS:
            connection.execute("pragma disable_optimizer")
        try:
            for model in self.models:
                if model.kind == "table":
                    self._create(connection, model)
        finally:
            connection.execute("pragma enable_optimizer")

    @staticmethod
    def _create(connection: duckdb.DuckDBPyConnection, model: CompiledModel) -> None:
        try:
            connection.execute(f"create table {model.relation} as {model.sql}")
        except duckdb.OutOfMemoryException as error:
            raise FocusIngestError(f"DuckDB ran out of memory validating the files ({error}).") from None
        except duckdb.Error as error:
            raise FocusIngestError(f"the validation model {model.unique_id} failed: {error}") from None


def cache_root() -> Path:
    """Per user: $FOCUS_INGEST_CACHE_DIR, else $XDG_CACHE_HOME/focus-ingest, else ~/.cache/focus-ingest."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]) / "validate"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "focus-ingest" / "validate"


def cache_key() -> str:
    """What the cached SQL and database depend on: the project's files, its dbt profile, dbt and DuckDB, and
    dlt (whose column keys the entry keeps)."""
    profile = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())["profile"]
    tools = f"dbt{version('dbt-core')}-duckdb{duckdb.__version__}-dlt{version('dlt')}"
    return f"{project_fingerprint()[:24]}-{profile}-{tools}-v{CACHE_FORMAT}"


def current() -> CompiledValidation:
    """The cache entry of the project as it is now; built with dbt first when there is none (stale or new)."""
    folder = cache_root() / cache_key()
    if not (folder / PLAN).is_file():
        # The one import of dlt and dbt on `validate`'s way, and only to build an entry (once per project
        # version): importing them costs ~1 s, more than the rest of a cached validate (BENCHMARKS.md).
        from focus_ingest.validation_build import compile_into

        compile_into(folder)
    plan = json.loads((folder / PLAN).read_text())
    models = tuple(CompiledModel(**model) for model in plan["models"])
    return CompiledValidation(folder, models, plan["column_keys"])
