"""The `focus-ingest` command: load, run (load then dbt build), status, demo.

Every failure a user can cause or fix ends with a message and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from loader import state
from loader.dbt_build import project_fingerprint, run_dbt_build
from loader.errors import ConfigError, FocusIngestError
from loader.pipeline import RunSummary, run_load, work_dir_for
from loader.progress import human_bytes
from loader.reading import ReadOptions
from loader.settings import (
    DEFAULT_DATABASE,
    DEFAULT_LOOKBACK_MONTHS,
    DEFAULT_MEMORY_LIMIT,
    VALIDATION_PROFILES,
    DataSource,
    RunSettings,
    default_source_name,
    load_config_sources,
    parse_as_of,
)

logger = logging.getLogger("focus_ingest")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", type=Path, help=f"DuckDB file (default: {DEFAULT_DATABASE})")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    _add_database(parser)
    where = parser.add_argument_group("data source (or --config for several)")
    where.add_argument("--source", help="s3://bucket/prefix/ or a local folder holding YYYY-MM/ folders")
    where.add_argument("--name", help="data source name (default: derived from --source)")
    where.add_argument("--config", type=Path, help="TOML file listing several data sources (see README)")
    where.add_argument("--role-arn", help="IAM role to assume for S3 access (cross-account)")
    where.add_argument("--external-id", help="External ID required by the role's trust policy")
    where.add_argument("--endpoint-url", help="S3-compatible endpoint URL")
    where.add_argument("--region", help="AWS region")
    where.add_argument("--profile", choices=VALIDATION_PROFILES, help="validation profile (default: any)")
    window = parser.add_argument_group("months")
    window.add_argument(
        "--lookback-months",
        type=int,
        help=f"months before the as-of month (default {DEFAULT_LOOKBACK_MONTHS})",
    )
    window.add_argument("--backfill-from", metavar="YYYY-MM", help="also process month folders from this month on")
    window.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day the window ends at (default: today, UTC)")
    reading = parser.add_argument_group("reading")
    reading.add_argument(
        "--memory-limit",
        default=ReadOptions.memory_limit,
        help="DuckDB's memory limit while reading, loading and building (e.g. 512MB, 2GB); it spills to disk beyond",
    )
    for flag, field_name, text in (
        ("--batch-rows", "batch_rows", "rows per read batch"),
        ("--max-file-bytes", "max_file_bytes", "reject a file larger than this, uncompressed (stops gzip bombs)"),
        ("--max-file-rows", "max_file_rows", "reject a file with more records"),
        ("--max-record-bytes", "max_record_bytes", "reject a file with a longer record (quoted newlines included)"),
        ("--read-block-bytes", "read_block_bytes", "bytes DuckDB reads at a time per thread; >= --max-record-bytes"),
        ("--max-concurrent-fetches", "max_concurrent_fetches", "downloads under way at once (S3)"),
    ):
        reading.add_argument(flag, type=int, default=getattr(ReadOptions, field_name), help=text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="focus-ingest",
        description="Load FOCUS billing files from S3 month folders into DuckDB, validate them, build cost marts.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="import new and changed files into the raw layer")
    _add_load_options(load)
    load.set_defaults(rebuild=False)
    run = commands.add_parser("run", help="load, then dbt build (validation and marts)")
    _add_load_options(run)
    run.add_argument("--rebuild", action="store_true", help="run dbt build even if nothing changed")
    _add_database(commands.add_parser("status", help="show the manifest: files and rows per month"))
    validate = commands.add_parser("validate", help="check files before uploading them, with the ingestion rules")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="CSV or CSV.GZ files")
    validate.add_argument("--month", metavar="YYYY-MM", help="billing month (default: the folder each file is in)")
    validate.add_argument("--profile", choices=VALIDATION_PROFILES, default="any", help="validation profile")
    validate.add_argument("--format", choices=("text", "json", "junit"), default="text", help="output format")
    verbosity = validate.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    verbosity.add_argument("--quiet", "-q", action="store_true", help="only warnings and errors")
    report = commands.add_parser("report", help="write a self-contained HTML report of the last run")
    report.add_argument("--output", type=Path, default=Path("report.html"), help="HTML file (default: report.html)")
    _add_database(report)
    demo = commands.add_parser("demo", help="generate sample data for three months and run a full cycle")
    demo.add_argument("--workdir", type=Path, default=Path("demo"), help="folder for the data and database")
    _add_database(demo)
    return parser


def settings_from(arguments: argparse.Namespace) -> RunSettings:
    """Merge the config file (if any) with the command line; the command line wins."""
    run_defaults: dict[str, object] = {}
    if arguments.config:
        if arguments.source:
            raise ConfigError("Give either --source or --config, not both.")
        sources, run_defaults = load_config_sources(arguments.config)
        if arguments.profile:
            sources = tuple(DataSource(**{**source.__dict__, "profile": arguments.profile}) for source in sources)
    elif arguments.source:
        location = arguments.source
        if not location.startswith("s3://"):
            location = str(Path(location).resolve())
        sources = (
            DataSource(
                name=arguments.name or default_source_name(location),
                location=location,
                role_arn=arguments.role_arn,
                external_id=arguments.external_id,
                endpoint_url=arguments.endpoint_url,
                region=arguments.region,
                profile=arguments.profile or "any",
            ),
        )
    else:
        raise ConfigError("Say where the files are: --source s3://bucket/prefix/ (or a folder), or --config FILE.")
    lookback = arguments.lookback_months
    if lookback is None:
        lookback = int(run_defaults.get("lookback_months", DEFAULT_LOOKBACK_MONTHS))
    optional = {}
    if arguments.as_of:
        optional["as_of"] = parse_as_of(arguments.as_of)
    return RunSettings(
        sources=sources,
        database=arguments.database or Path(str(run_defaults.get("database", DEFAULT_DATABASE))),
        lookback_months=lookback,
        backfill_from=arguments.backfill_from or run_defaults.get("backfill_from"),
        **optional,
    )


def render_summary(summary: RunSummary) -> str:
    """The end-of-run summary a person reads in a terminal or a cron mail."""
    totals = summary.as_dict()["totals"]
    lines = [
        f"focus-ingest run {summary.run_id} (as of {summary.as_of}, months from {summary.first_month})",
        f"  periods: {totals['periods_found']} found, {totals['periods_skipped']} skipped (before the window)",
        "  files:   {files_new} new, {files_changed} changed, {files_unchanged} unchanged, {files_deleted} deleted, "
        "{files_ignored} ignored, {files_unreadable} unreadable, {files_retry} to retry".format(**totals),
        f"  rows:    {totals['rows_loaded']:,} loaded, {totals['rows_retracted']:,} retracted; "
        f"{totals['objects_downloaded']} files fetched ({human_bytes(totals['bytes_downloaded'])})",
        f"  time:    {summary.seconds:.1f} s; database {summary.database}",
    ]
    for source in summary.sources:
        lines.append(f"  source {source.name} ({source.location}):")
        if source.failed:
            lines.append("    FAILED: " + source.failed.replace("\n", "\n      "))
            continue
        lines.append(f"    months processed: {', '.join(source.periods_processed) or 'none'}")
        if source.periods_skipped:
            lines.append(
                f"    months skipped:   {', '.join(source.periods_skipped)} (use --backfill-from to load them)"
            )
        for entry in source.unreadable:
            where = f" (line {entry['line']})" if entry["line"] else ""
            lines.append(f"    unreadable {entry['key']}: {entry['reason']}{where}")
        examples = {entry["reason"]: entry["key"] for entry in reversed(source.ignored)}
        for reason, count in source.ignored_reasons.items():
            example = examples.get(reason, "")
            what = example if count == 1 else f"{count} objects" + (f", e.g. {example}" if example else "")
            lines.append(f"    ignored {what}: {reason}")
        for entry in source.retry:
            lines.append(f"    retry next run {entry['key']}: {entry['reason']}")
        hidden = source.files_unreadable - len(source.unreadable)
        if hidden > 0:
            lines.append(f"    … and {hidden} more (see --json or `focus-ingest status`)")
    return "\n".join(lines)


def status_of(database: Path) -> dict[str, object]:
    with state.connect(database, read_only=True) as connection:
        months = connection.execute(
            """
            select data_source, billing_month, status, count(*) as files, coalesce(sum(row_count), 0) as rows
            from raw.manifest group by all order by all
            """
        ).fetchall()
        last_run = connection.execute(
            "select run_id, started_at, finished_at from raw.runs order by started_at desc limit 1"
        ).fetchone()
    return {
        "database": str(database),
        "last_run": None
        if last_run is None
        else {
            "run_id": last_run[0],
            "started_at": str(last_run[1]),
            "finished_at": None if last_run[2] is None else str(last_run[2]),
        },
        "months": [
            {"data_source": s, "billing_month": m, "status": st, "files": f, "rows": r} for s, m, st, f, r in months
        ],
    }


def render_status(status: dict[str, object]) -> str:
    lines = [f"database {status['database']}"]
    last_run = status["last_run"]
    if last_run:
        finished = last_run["finished_at"] or "did not finish (the next run completes its work)"
        lines.append(f"last run {last_run['run_id']}: started {last_run['started_at']}, finished {finished}")
    lines.append(f"{'data source':<24} {'month':<8} {'status':<9} {'files':>6} {'rows':>12}")
    for row in status["months"]:
        name, month, status_name = row["data_source"], row["billing_month"], row["status"]
        lines.append(f"{name:<24} {month:<8} {status_name:<9} {row['files']:>6} {row['rows']:>12,}")
    return "\n".join(lines)


def _configure_logging(arguments: argparse.Namespace) -> None:
    level = logging.DEBUG if arguments.verbose else logging.WARNING if arguments.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    for noisy in ("dlt", "botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _load_and_build(settings: RunSettings, arguments: argparse.Namespace, build: bool) -> int:
    options = ReadOptions(
        **{
            field.name: getattr(arguments, field.name)
            for field in fields(ReadOptions)
            if hasattr(arguments, field.name)
        }
    )
    summary = run_load(settings, options)
    print(json.dumps(summary.as_dict(), indent=2, default=str) if arguments.json else render_summary(summary))
    status = EXIT_FAILED if summary.failed else EXIT_OK
    quiet = arguments.json or arguments.quiet
    if build and not build_marts(settings.database, quiet, force=arguments.rebuild, memory_limit=options.memory_limit):
        print("dbt build failed: see the failing models and tests above.", file=sys.stderr)
        status = EXIT_FAILED
    return status


def build_marts(database: Path, quiet: bool, force: bool = False, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> bool:
    """`dbt build`, unless the last successful build already covers this data and this dbt project."""
    fingerprint = project_fingerprint()
    with state.connect(database) as connection:
        version = state.data_version(connection)
        if not force and state.build_is_current(connection, version, fingerprint):
            logger.info("dbt build skipped: nothing changed since the last successful build (--rebuild forces it)")
            return True
    built = run_dbt_build(database, work_dir_for(database), quiet=quiet, memory_limit=memory_limit)
    with state.connect(database) as connection:
        state.record_build(connection, version, fingerprint, built, datetime.now(UTC))
    return built


def _validate(arguments: argparse.Namespace) -> int:
    from loader.validate import render_json, render_junit, render_text, validate_files

    if not arguments.verbose:
        logging.getLogger("loader").setLevel(logging.WARNING)  # the verdicts are the output
    verdicts = validate_files(arguments.paths, arguments.month, arguments.profile)
    render = {"text": render_text, "json": render_json, "junit": render_junit}[arguments.format]
    print(render(verdicts))
    return EXIT_FAILED if any(verdict.status == "rejected" for verdict in verdicts) else EXIT_OK


def _demo(arguments: argparse.Namespace) -> int:
    from loader.demo import run_demo  # sample generation is only needed here

    return run_demo(arguments.workdir, arguments.database, as_json=arguments.json)


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    _configure_logging(arguments)
    try:
        if arguments.command in ("load", "run"):
            return _load_and_build(settings_from(arguments), arguments, build=arguments.command == "run")
        if arguments.command == "status":
            status = status_of(arguments.database or DEFAULT_DATABASE)
            print(json.dumps(status, indent=2) if arguments.json else render_status(status))
            return EXIT_OK
        if arguments.command == "validate":
            return _validate(arguments)
        if arguments.command == "report":
            from loader.report_html import write_report

            written = write_report(arguments.database or DEFAULT_DATABASE, arguments.output)
            print(json.dumps({"report": str(written)}) if arguments.json else f"report written to {written}")
            return EXIT_OK
        return _demo(arguments)
    except FocusIngestError as error:
        print(f"focus-ingest: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, ConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"focus-ingest: interrupted at {datetime.now(UTC):%H:%M:%S}; the next run finishes the work.",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
