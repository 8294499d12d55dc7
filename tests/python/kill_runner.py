"""Run the focus-ingest CLI and SIGKILL it at one named point of its work, the N-th time it gets there.

`python kill_runner.py POINT N <focus-ingest arguments>`. The one place the crash tests inject faults:
each point wraps one function of the loader, dlt or dbt's progress callback, so a kill lands at the same
step on every machine, however fast (issue 15: kill tests must not depend on sleep timing).
`hang:POINT` stops there for good instead, until a signal ends the process (the interrupt tests).

With `--workers`, the points are installed in every worker process too (each counts its own calls): the
workers are forked from a fork server that imports this module when `FORKSERVER_PRELOAD` names it, and
finds the point in `POINT_VARIABLE`.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from dlt.destinations.impl.duckdb.duck import DuckDbCopyJob
from dlt.destinations.impl.filesystem.filesystem import FilesystemClient
from dlt.destinations.job_client_impl import SqlJobClientBase
from dlt.pipeline.pipeline import Pipeline

from focus_ingest import cli, dbt_progress, pipeline, workers

POINT_VARIABLE = "FOCUS_INGEST_KILL_POINT"  # "POINT N", for the worker processes


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _hang() -> None:
    while True:
        time.sleep(60)


def _killed_on(
    nth: int, before: bool, when: Callable[..., bool], stop: Callable[[], None]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    calls = 0

    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            if not when(*args):
                return function(*args, **kwargs)
            calls += 1
            if before and calls == nth:
                stop()
            result = function(*args, **kwargs)
            if not before and calls == nth:
                stop()
            return result

        return wrapper

    return wrap


def _always(*_: Any) -> bool:
    return True


def _rows_job(job: DuckDbCopyJob, *_: Any) -> bool:
    return job.file_name().startswith("focus_rows.")


# point -> (object, attribute, kill before the call (else after it), which calls count)
POINTS: dict[str, tuple[Any, str, bool, Callable[..., bool]]] = {
    "file_read": (pipeline._Reader, "_loaded", False, _always),  # a file's rows went to dlt's extract, N so far
    "extracted": (Pipeline, "normalize", True, _always),  # the package is extracted, not normalized
    "normalized": (Pipeline, "load", True, _always),  # the package is normalized, nothing loaded
    "table_copied": (DuckDbCopyJob, "run", False, _always),  # N tables of the package are in the database
    "rows_copied": (DuckDbCopyJob, "run", False, _rows_job),  # the N-th rows file is in, maybe no other table
    "before_commit": (SqlJobClientBase, "complete_load", True, _always),  # every job and dlt's state in
    "after_commit": (SqlJobClientBase, "complete_load", False, _always),  # committed, before the clean-up
    # the lake: every file of the package is in, neither dlt's state nor the `_dlt_loads` marker
    "lake_before_commit": (FilesystemClient, "complete_load", True, _always),
    "dbt_node": (dbt_progress.DbtProgress, "_result", False, _always),  # N nodes of dbt build done
}


def _install(point: str, nth: int) -> None:
    name = point.removeprefix("hang:")
    owner, attribute, before, when = POINTS[name]
    stop = _kill if name == point else _hang
    setattr(owner, attribute, _killed_on(nth, before, when, stop)(getattr(owner, attribute)))


def main() -> int:
    point, nth, *arguments = sys.argv[1:]
    _install(point, int(nth))
    os.environ[POINT_VARIABLE] = f"{point} {nth}"
    workers.FORKSERVER_PRELOAD = (*workers.FORKSERVER_PRELOAD, "kill_runner")
    return cli.main(arguments)


if __name__ == "__main__":
    sys.exit(main())
elif POINT_VARIABLE in os.environ:  # imported by the workers' fork server
    _point, _nth = os.environ[POINT_VARIABLE].split()
    _install(_point, int(_nth))
