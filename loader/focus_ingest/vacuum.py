"""`focus-ingest vacuum`: give back the space of superseded file versions' rows.

The incremental models keep the rows of every file version they were built for: a rewritten, deleted or
revalidated version's rows stay beside the current ones, which is what lets dbt-spark run them without
DELETE, and every reader joins the current versions. Removing the others is a separate, optional step that
changes no mart: the dbt macro `vacuum_superseded`, run with `dbt run-operation` through the build's own
dbt runner. The caller holds the run lock (`state.run_lock`), as for a build.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from focus_ingest.dbt_build import run_dbt
from focus_ingest.errors import FocusIngestError
from focus_ingest.pipeline import work_dir_for
from focus_ingest.settings import DEFAULT_MEMORY_LIMIT

logger = logging.getLogger(__name__)

VACUUM_MACRO = "vacuum_superseded"
REPORT_PREFIX = f"{VACUUM_MACRO}: "  # the macro's one log line: this, then a JSON object model -> rows removed


@dataclass(frozen=True)
class VacuumResult:
    """Rows removed per model, in the macro's order; a model not built yet is left out."""

    rows_removed: tuple[tuple[str, int], ...]


@dataclass
class _RemovedRows:
    """A dbt event listener that keeps the counts the macro logs."""

    counts: dict[str, int] | None = None

    def __call__(self, event: Any) -> None:
        message = str(event.info.msg)
        if event.info.name == "JinjaLogInfo" and message.startswith(REPORT_PREFIX):
            self.counts = {str(name): int(rows) for name, rows in json.loads(message[len(REPORT_PREFIX) :]).items()}


def vacuum(
    database: Path,
    work_dir: Path | None = None,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    verbose: bool = False,
) -> VacuumResult:
    """Delete superseded file versions' rows from the incremental models of `database`."""
    work_dir = work_dir or work_dir_for(database)
    removed = _RemovedRows()
    result = run_dbt(
        ("run-operation", VACUUM_MACRO),
        database,
        work_dir,
        quiet=True,
        memory_limit=memory_limit,
        verbose=verbose,
        listeners=(removed,),
    )
    log_file = work_dir / "dbt-logs" / "dbt.log"
    if not result.success:
        reason = " ".join(result.errors[0].split()) if result.errors else "see dbt's log"
        raise FocusIngestError(f"vacuum failed: {reason} (dbt's log: {log_file})")
    if removed.counts is None:
        raise FocusIngestError(f"vacuum ran but did not report what it removed (dbt's log: {log_file})")
    logger.debug("vacuum: %s", removed.counts)
    return VacuumResult(tuple(removed.counts.items()))
