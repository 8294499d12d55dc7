"""The `focus-ingest` command: load, run (load then dbt build), status, validate, vacuum, report, demo.

Every failure ends with a message and a non-zero exit status, never a traceback: a mistake a user can fix
is one line saying what to fix (exit 2), a failed data source or build says what failed (exit 1), and
anything unexpected is one line too, with its traceback only under `--verbose`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from focus_ingest import state
from focus_ingest.command_line import build_parser
from focus_ingest.database_file import check_database
from focus_ingest.dbt_build import BuildResult, build_marts, project_dir
from focus_ingest.destinations import check_database_fits, lake_database
from focus_ingest.errors import ConfigError, FocusIngestError
from focus_ingest.month_history import MonthHistory, month_history
from focus_ingest.planning import RunSummary
from focus_ingest.run_report import EXIT_FAILED, EXIT_OK, EXIT_USAGE, RunOutcome, render_outcome
from focus_ingest.settings import DEFAULT_DATABASE, Lake, normalize_lake
from focus_ingest.status import render_status, status_of
from focus_ingest.verdicts import FileVerdict, rejected_in_window

if TYPE_CHECKING:
    from focus_ingest.invocation import Invocation

logger = logging.getLogger("focus_ingest")

EXIT_INTERRUPTED = 130
NEEDS_DBT_PROJECT = ("load", "run", "validate", "vacuum", "demo")
_QUIET_LIBRARIES = ("dlt", "botocore", "boto3", "urllib3", "s3transfer", "py4j")


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("focus_ingest").setLevel(level)
    for noisy in _QUIET_LIBRARIES:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _build(invocation: Invocation, summary: RunSummary) -> BuildResult:
    """Build only when it can matter: never after a failed data source that changed nothing."""
    if summary.failed and not summary.changed and not invocation.rebuild:
        return BuildResult("not run", "a data source failed and no data changed")
    from focus_ingest.pipeline import work_dir_for  # dlt: only for the commands that load, see _load_and_build

    database = invocation.settings.database
    try:
        return build_marts(
            database,
            work_dir_for(database),
            quiet=invocation.quiet,
            force=invocation.rebuild,
            memory_limit=invocation.read_options.memory_limit,
            verbose=invocation.verbose,
            lake=invocation.settings.lake,
            engine=invocation.settings.engine,
        )
    except FocusIngestError as error:  # the load is committed: the summary still tells what it did
        return BuildResult("failed", str(error))


def _rejected_and_history(
    invocation: Invocation, summary: RunSummary, build: BuildResult
) -> tuple[list[FileVerdict] | None, MonthHistory | None]:
    if build.state in ("failed", "not run"):
        return None, None  # the verdicts and the history of this data are not known
    with lake_database(invocation.settings.database, invocation.settings.lake) as connection:
        names = [source.name for source in invocation.settings.sources]
        return rejected_in_window(connection, names, summary.first_month), month_history(connection)


def _load_and_build(arguments: argparse.Namespace) -> int:
    # dlt (and pydantic, for the config file) are imported by the commands that load, for start-up time
    # only: ~0.6 s of every other command (`validate`, `status`, `--help`; `python -X importtime`, BENCHMARKS.md).
    from focus_ingest.invocation import resolve
    from focus_ingest.pipeline import run_load

    invocation = resolve(arguments)
    _configure_logging(invocation.verbose, invocation.quiet)
    database = invocation.settings.database
    check_database(database, must_exist=False)
    if arguments.command == "run" and invocation.settings.engine == "spark":
        from focus_ingest.spark_engine import check_spark_ready

        check_spark_ready()  # before anything loads
    with state.run_lock(database):  # the whole run: load and build
        summary = run_load(invocation.settings, invocation.read_options)
        outcome = RunOutcome(command=arguments.command, summary=summary)
        if arguments.command == "run":
            build = _build(invocation, summary)
            outcome = RunOutcome("run", summary, build, *_rejected_and_history(invocation, summary, build))
    print(json.dumps(outcome.as_dict(), indent=2, default=str) if invocation.json_output else render_outcome(outcome))
    return outcome.exit_status(invocation.fail_on_rejected)


def _database(arguments: argparse.Namespace, must_exist: bool) -> Path:
    database = arguments.database or DEFAULT_DATABASE
    check_database(database, must_exist=must_exist)
    return database


def _lake(arguments: argparse.Namespace) -> Lake | None:
    """`--lake` of `status`, `report` and `vacuum`: the lake the database's runs loaded into."""
    if arguments.lake is None:
        if arguments.lake_endpoint_url is not None:
            raise ConfigError("--lake-endpoint-url needs an s3:// --lake.")
        return None
    return normalize_lake(arguments.lake, Path.cwd(), arguments.lake_endpoint_url)


def _status(arguments: argparse.Namespace) -> int:
    status = status_of(_database(arguments, must_exist=True), _lake(arguments))
    print(json.dumps(status, indent=2) if arguments.json else render_status(status))
    return EXIT_OK


def _report(arguments: argparse.Namespace) -> int:
    # The three commands' own modules are imported when they run, for start-up time only (no import cycle):
    # together ~0.14 s of every other command's start (`python -X importtime`).
    from focus_ingest.report_html import write_report  # Jinja2 and the report's queries: only here

    database, lake = _database(arguments, must_exist=True), _lake(arguments)
    logging.getLogger("focus_ingest.report_html").setLevel(logging.WARNING)  # the line below says it once
    with state.run_lock(database, shared=True):
        check_database_fits(database, lake)
        written = write_report(database, arguments.output, lake)
    print(json.dumps({"report": str(written)}) if arguments.json else f"report written to {written}")
    return EXIT_OK


def _validate(arguments: argparse.Namespace) -> int:
    from focus_ingest.validate import render_json, render_junit, render_text, validate_files  # see _report

    if not arguments.verbose:
        logging.getLogger("focus_ingest").setLevel(logging.WARNING)  # the verdicts are the output
    verdicts = validate_files(arguments.paths, arguments.month, arguments.profile)
    render = {"text": render_text, "json": render_json, "junit": render_junit}[arguments.format]
    print(render(verdicts))
    return EXIT_FAILED if any(verdict.status == "rejected" for verdict in verdicts) else EXIT_OK


def _vacuum(arguments: argparse.Namespace) -> int:
    from focus_ingest.vacuum import vacuum  # dbt is only needed here; see _report

    database, lake = _database(arguments, must_exist=True), _lake(arguments)
    with state.run_lock(database):  # it deletes rows and files: no run or reader at the same time
        result = vacuum(database, lake=lake, verbose=bool(arguments.verbose))
    removed = dict(result.rows_removed)
    if arguments.json:
        lake_files = {} if lake is None else {"lake_files_removed": result.lake_files_removed}
        print(json.dumps({"rows_removed": removed, **lake_files}))
        return EXIT_OK
    if lake is not None:
        print(f"vacuum: {result.lake_files_removed:,} superseded Parquet files removed from the lake {lake}")
    if not removed:
        print("vacuum: nothing to do, the database has not been built yet")
    else:
        counts = ", ".join(f"{rows:,} from {model}" for model, rows in removed.items())
        print(f"vacuum: superseded rows removed: {counts}")
    return EXIT_OK


def _demo(arguments: argparse.Namespace) -> int:
    from focus_ingest.demo import run_demo  # sample generation is only needed here; see _report

    if arguments.database is not None:
        check_database(arguments.database, must_exist=False)
    return run_demo(arguments.workdir, arguments.database, as_json=bool(arguments.json))


COMMANDS = {
    "load": _load_and_build,
    "run": _load_and_build,
    "status": _status,
    "validate": _validate,
    "report": _report,
    "vacuum": _vacuum,
    "demo": _demo,
}


def _unexpected(error: Exception, verbose: bool) -> int:
    if verbose:
        logger.exception("unexpected error")
    print(
        f"focus-ingest: unexpected error: {type(error).__name__}: {error}. Re-run with --verbose for the detail.",
        file=sys.stderr,
    )
    return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    try:
        arguments = build_parser().parse_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a usage error argparse has printed
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_USAGE
    _configure_logging(bool(arguments.verbose), bool(arguments.quiet))
    try:
        if arguments.command in NEEDS_DBT_PROJECT:
            project_dir()  # an incomplete installation says so before any file is read or loaded
        return COMMANDS[arguments.command](arguments)
    except FocusIngestError as error:
        print(f"focus-ingest: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, ConfigError) else EXIT_FAILED
    except BrokenPipeError:  # `focus-ingest status | head`: the reader has gone, nothing to say to it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"focus-ingest: interrupted at {datetime.now(UTC):%H:%M:%S}; the next run finishes the work.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    except Exception as error:
        return _unexpected(error, bool(arguments.verbose))


if __name__ == "__main__":
    sys.exit(main())
