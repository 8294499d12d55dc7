"""`focus-ingest vacuum`: give back the space of superseded file versions' rows.

The incremental models keep the rows of every file version they were built for: a rewritten, deleted or
revalidated version's rows stay beside the current ones, which is what lets dbt-spark run them without
DELETE, and every reader joins the current versions. Removing the others is a separate, optional step that
changes no mart: the dbt macro `vacuum_superseded`, run with `dbt run-operation` through the build's own
dbt runner. The caller holds the run lock (`state.run_lock`), as for a build.

On a lake the raw rows are files, one set per load and data source (`focus_rows/data_source=<slug>/
<load id>.<file id>.parquet`), so its clean-up is by whole loads: a completed load none of whose
versions is current any more (each was replaced, deleted or rejected since) is removed. A load with no
`_dlt_loads` marker is kept: it may be the package a killed run left, which the next run finishes, and
its rows never count anyway. The event tables stay: they are the history every status is derived from.
"""

from __future__ import annotations

import json
import logging
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from focus_ingest import destinations
from focus_ingest.dbt_build import run_dbt
from focus_ingest.errors import FocusIngestError
from focus_ingest.known_versions import FILE_STATUSES_SQL, has_event_log
from focus_ingest.pipeline import work_dir_for
from focus_ingest.settings import DEFAULT_MEMORY_LIMIT, Lake
from focus_ingest.state import RAW_SCHEMA, ROWS_TABLE

logger = logging.getLogger(__name__)

VACUUM_MACRO = "vacuum_superseded"
REPORT_PREFIX = f"{VACUUM_MACRO}: "  # the macro's one log line: this, then a JSON object model -> rows removed


@dataclass(frozen=True)
class VacuumResult:
    """Rows removed per model, in the macro's order (a model not built yet is left out), and the lake's
    Parquet files removed."""

    rows_removed: tuple[tuple[str, int], ...]
    lake_files_removed: int = 0


@dataclass
class _RemovedRows:
    """A dbt event listener that keeps the counts the macro logs."""

    counts: dict[str, int] | None = None

    def __call__(self, event: Any) -> None:
        message = str(event.info.msg)
        if event.info.name == "JinjaLogInfo" and message.startswith(REPORT_PREFIX):
            self.counts = {str(name): int(rows) for name, rows in json.loads(message[len(REPORT_PREFIX) :]).items()}


def _lake_slugs(lake: Lake) -> list[str]:
    """The data sources (slugs) that have rows in the lake: its `focus_rows/data_source=<slug>` folders."""
    folders = destinations.lake_filesystem(lake).glob(lake.join(RAW_SCHEMA, ROWS_TABLE, "data_source=*"))
    return sorted(posixpath.basename(folder).split("=", 1)[1] for folder in folders)


def vacuum_lake(database: Path, lake: Lake) -> int:
    """Remove the `focus_rows` files of completed loads that hold no current version; returns how many."""
    files = destinations.lake_filesystem(lake)
    removed = 0
    for slug in _lake_slugs(lake):
        schema = f"focus_{slug}"  # pipeline.schema_name_of, from the slug the folder is named after
        completed = set(destinations.completed_load_ids(lake, schema))
        with destinations.raw_layer(database, lake, slug, schema) as connection:
            if not has_event_log(connection):
                continue
            current = {
                str(load_id)
                for (load_id,) in connection.execute(
                    f"select distinct load_id from ({FILE_STATUSES_SQL}) where status = 'loaded'"
                ).fetchall()
            }
        rows = files.glob(lake.join(RAW_SCHEMA, ROWS_TABLE, f"data_source={slug}", "*.parquet"))
        # `<load id>.<file id>.parquet` (destinations.LAKE_LAYOUT); a load id is a time with one dot in it
        superseded = [path for path in rows if (load := posixpath.basename(path).rsplit(".", 2)[0]) in completed
                      and load not in current]  # fmt: skip
        if superseded:
            files.rm(superseded)
        logger.debug("vacuum: data source %s: %d lake files removed", slug, len(superseded))
        removed += len(superseded)
    return removed


def vacuum(
    database: Path,
    work_dir: Path | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    verbose: bool = False,
    lake: Lake | None = None,
) -> VacuumResult:
    """Delete superseded file versions' rows from the incremental models of `database`, and their files
    from the `lake` its raw layer is in."""
    destinations.check_database_fits(database, lake)
    work_dir = work_dir or work_dir_for(database)
    lake_files_removed = 0 if lake is None else vacuum_lake(database, lake)
    removed = _RemovedRows()
    result = run_dbt(
        ("run-operation", VACUUM_MACRO),
        database,
        work_dir,
        quiet=True,
        memory_limit=memory_limit,
        verbose=verbose,
        listeners=(removed,),
        lake=lake,
    )
    log_file = work_dir / "dbt-logs" / "dbt.log"
    if not result.success:
        reason = " ".join(result.errors[0].split()) if result.errors else "see dbt's log"
        raise FocusIngestError(f"vacuum failed: {reason} (dbt's log: {log_file})")
    if removed.counts is None:
        raise FocusIngestError(f"vacuum ran but did not report what it removed (dbt's log: {log_file})")
    logger.debug("vacuum: %s", removed.counts)
    return VacuumResult(tuple(removed.counts.items()), lake_files_removed)
