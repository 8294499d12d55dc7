"""dbt builds the validation models once per project version: the cache entry `validate` runs without dbt.

The cached path (compiled_validation.py) imports neither dlt nor dbt; this module needs both: the template
raw layer is written by the real loader (dlt) and the models are built by `dbt build`. It also holds the
reference path, `validate_files_with_dbt`: the whole loader and `dbt build` on the files themselves, slower,
what the cached path is tested against (tests/python/test_validate_cached.py).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path

from focus_ingest import state
from focus_ingest.compiled_validation import CACHE_VARIABLE, CATALOG, PLAN, TEMPLATE, VALIDATION_MODELS, CompiledModel
from focus_ingest.dbt_build import project_dir, run_dbt_build
from focus_ingest.errors import FocusIngestError
from focus_ingest.focus_catalog import focus_column_keys, focus_header_names
from focus_ingest.pipeline import run_load, work_dir_for
from focus_ingest.raw_tables import RAW_TABLES
from focus_ingest.reading import column_key
from focus_ingest.settings import DataSource, RunSettings
from focus_ingest.validate import FileVerdict, each_file, lay_out, run_settings, verdicts_of

logger = logging.getLogger(__name__)

TEMPLATE_MONTH = "2000-01"
MATERIALIZATIONS = {"view": "view", "table": "table", "incremental": "table"}


def validate_files_with_dbt(paths: list[Path], month: str | None, profile: str) -> list[FileVerdict]:
    """The reference path: the real loader (dlt) and `dbt build` of the validation models on a scratch database."""
    return each_file(paths, month, lambda readable: _validate_with_dbt(readable, month, profile))


def _validate_with_dbt(paths: list[Path], month: str | None, profile: str) -> list[FileVerdict]:
    with tempfile.TemporaryDirectory(prefix="focus-validate-") as scratch:
        root = Path(scratch) / "files"
        originals = lay_out(paths, month, root)
        database = Path(scratch) / f"{CATALOG}.duckdb"
        summary = run_load(run_settings(root, originals, database, profile))
        if summary.failed:
            raise FocusIngestError(summary.sources[0].failed or "the files could not be read")
        models = ("--select", *VALIDATION_MODELS, "--exclude-resource-type", "test")
        if not run_dbt_build(database, work_dir_for(database), quiet=True, extra_args=models):
            raise FocusIngestError("the validation models failed to build; run with --verbose to see dbt's output")
        with state.connect(database) as connection:
            return verdicts_of(connection, originals)


def compile_into(folder: Path) -> None:
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
        shutil.move(database, building / TEMPLATE)
        keys = {name: column_key(name) for name in focus_header_names(project_dir())}  # dlt's, for validate
        plan = {"models": [model.__dict__ for model in models], "column_keys": keys}
        (building / PLAN).write_text(json.dumps(plan))
        shutil.rmtree(building / "files")
        shutil.rmtree(database.parent / ".focus-ingest")
        database.with_name(database.name + ".lock").unlink(missing_ok=True)
        try:
            building.rename(folder)
        except OSError:  # another process has put the same entry in place first
            if not (folder / PLAN).is_file():
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
    """Drop the table models and the template's raw rows; keep the seeds, the raw tables' columns and the views.

    DuckDB stores a view as its SQL and binds it when it is read, so a view dbt created here reads a copy's
    own rows; creating the ten views again cost each validate ~0.3 s of binding (BENCHMARKS.md).
    """
    with state.connect(database) as connection:
        for model in reversed(models):
            if model.kind == "table":
                connection.execute(f"drop table if exists {model.relation}")
        for table in RAW_TABLES:
            connection.execute(f"delete from {state.RAW_SCHEMA}.{table}")
        connection.execute("checkpoint")
