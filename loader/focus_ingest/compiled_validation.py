"""The validation models as dbt compiled them, cached per project, run on DuckDB without dbt.

`focus-ingest validate` must give the verdicts ingestion gives, so it runs the project's own models; but
starting dbt, parsing the project and loading the seeds costs seconds on every call. dbt builds the
validation models (`+file_validation +validation_errors`) once per project fingerprint on a template raw
layer written by the real loader; the SQL dbt compiled for each model, in dbt's order, and the database
it left (seeds loaded by dbt, raw tables in the loader's shape, models dropped) are cached under a per-user
folder. A validate call copies that database and executes the SQL on it: what it runs is what dbt build runs.

Two things make that SQL valid for any file. The raw layer has every FOCUS column and alias the project
knows (loader/focus_ingest/focus_catalog.py, as on any load), so a file without one has nulls there, as in a shared raw
layer; the template file's header carries them all as well. And the template database has no model
relations, so incremental models compiled as first builds (their pre-hooks only act on an existing
relation).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

import duckdb
import yaml

from focus_ingest import state
from focus_ingest.dbt_build import project_dir, project_fingerprint, run_dbt_build
from focus_ingest.errors import FocusIngestError
from focus_ingest.focus_catalog import focus_column_keys
from focus_ingest.pipeline import run_load, work_dir_for
from focus_ingest.raw_tables import RAW_TABLES
from focus_ingest.settings import DataSource, RunSettings

logger = logging.getLogger(__name__)

VALIDATION_MODELS = ("+file_validation", "+validation_errors")
CATALOG = "validate"  # the stem of the database file: compiled SQL names relations "validate"."schema"."name"
CACHE_FORMAT = 1  # bump when what is cached (or how it is used) changes
CACHE_VARIABLE = "FOCUS_INGEST_CACHE_DIR"
TEMPLATE_MONTH = "2000-01"
MATERIALIZATIONS = {"view": "view", "table": "table", "incremental": "table"}
_PLAN = "plan.json"
_TEMPLATE = "template.duckdb"


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

    @property
    def template(self) -> Path:
        return self.folder / _TEMPLATE

    def database_in(self, scratch: Path) -> Path:
        """A private copy of the template database in `scratch`, named so that the compiled SQL finds it."""
        database = scratch / f"{CATALOG}.duckdb"
        try:
            shutil.copyfile(self.template, database)
        except FileNotFoundError:
            raise FocusIngestError(f"The validation cache {self.folder} is incomplete: delete that folder.") from None
        return database

    def run(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Build every model on the connection's raw layer, as `dbt build --select` would on a fresh database."""
        for model in self.models:
            try:
                connection.execute(f"create {model.kind} {model.relation} as {model.sql}")
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
    """What the cached SQL and database depend on: the project's files, its dbt profile, dbt and DuckDB."""
    profile = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())["profile"]
    return f"{project_fingerprint()[:24]}-{profile}-dbt{version('dbt-core')}-duckdb{duckdb.__version__}-v{CACHE_FORMAT}"


def current() -> CompiledValidation:
    """The cache entry of the project as it is now; built with dbt first when there is none (stale or new)."""
    folder = cache_root() / cache_key()
    if not (folder / _PLAN).is_file():
        _compile_into(folder)
    plan = json.loads((folder / _PLAN).read_text())
    return CompiledValidation(folder, tuple(CompiledModel(**model) for model in plan["models"]))


def _compile_into(folder: Path) -> None:
    """dbt builds the validation models on a template raw layer; keep its SQL and database, atomically.

    Built in a private folder beside the entry and renamed into place: another validate process reads
    either nothing or a whole entry, and when two build at once the first rename wins.
    """
    logger.warning("Preparing the validation models for this project version (once, with dbt)...")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    except OSError as error:
        raise FocusIngestError(
            f"Cannot write the validation cache in {folder.parent} ({error.strerror or error}); "
            f"set {CACHE_VARIABLE} to a folder you can write."
        ) from None
    try:
        files = building / "files" / TEMPLATE_MONTH
        files.mkdir(parents=True)
        header = focus_column_keys(project_dir())
        (files / "template.csv").write_text(",".join(header) + "\n" + "," * (len(header) - 1) + "\n")
        database = building / f"{CATALOG}.duckdb"
        settings = RunSettings(
            sources=(DataSource("template", str(files.parent), profile="any"),),
            database=database, lookback_months=0, backfill_from=TEMPLATE_MONTH, as_of=date(2000, 1, 1),
        )  # fmt: skip
        if run_load(settings).failed:
            raise FocusIngestError("the template raw layer for the validation models could not be loaded")
        work_dir = work_dir_for(database)
        selection = ("--select", *VALIDATION_MODELS, "--exclude-resource-type", "test")
        if not run_dbt_build(database, work_dir, quiet=True, extra_args=selection):
            raise FocusIngestError("the validation models failed to build; run with --verbose to see dbt's output")
        models = _compiled_models(work_dir / "dbt-target")
        _empty_template(database, models)
        shutil.move(database, building / _TEMPLATE)
        (building / _PLAN).write_text(json.dumps({"models": [model.__dict__ for model in models]}))
        shutil.rmtree(building / "files")
        shutil.rmtree(database.parent / ".focus-ingest")
        database.with_name(database.name + ".lock").unlink(missing_ok=True)
        try:
            building.rename(folder)
        except OSError:  # another process has put the same entry in place first
            if not (folder / _PLAN).is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _compiled_models(target: Path) -> list[CompiledModel]:
    """The models dbt ran, in the order they finished (after everything they depend on)."""
    manifest = json.loads((target / "manifest.json").read_text())
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = []
    for result in results:
        node = manifest["nodes"][result["unique_id"]]
        if node["resource_type"] != "model":
            continue  # seeds stay in the template database as dbt loaded them
        kind = MATERIALIZATIONS.get(node["config"]["materialized"])
        if kind is None:
            raise FocusIngestError(
                f"{node['unique_id']} is materialized as {node['config']['materialized']!r}, which the "
                "cached validation cannot run; use view, table or incremental."
            )
        models.append(CompiledModel(node["unique_id"], node["relation_name"], kind, node["compiled_code"]))
    return models


def _empty_template(database: Path, models: list[CompiledModel]) -> None:
    """Drop the models and the template's raw rows; keep the seeds and the raw tables' columns."""
    with state.connect(database) as connection:
        for model in reversed(models):
            connection.execute(f"drop {model.kind} if exists {model.relation}")
        for table in RAW_TABLES:
            connection.execute(f"delete from {state.RAW_SCHEMA}.{table}")
        connection.execute("checkpoint")
