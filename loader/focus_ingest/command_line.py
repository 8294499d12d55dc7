"""The command line's grammar: commands, options, their types and the defaults `--help` shows.

Options of `load`/`run` default to None here, so that a flag given on the command line can be told from
one left out: left out, the config file's `[run]` value applies, then the default named in the help.
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import NoReturn

from focus_ingest.errors import ConfigError
from focus_ingest.reading import ReadOptions
from focus_ingest.settings import DEFAULT_DATABASE, DEFAULT_LOOKBACK_MONTHS, ENGINES, VALIDATION_PROFILES, parse_size


def size(text: str) -> int:
    """A size in bytes: `1GB`, `64MiB` or a plain number of bytes; more than zero."""
    try:
        count = int(text) if text.strip().isdigit() else parse_size(text)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if count <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a size must be more than 0 bytes")
    return count


def memory_limit(text: str) -> str:
    size(text)
    return text


def positive_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return number


def non_negative_int(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give 0 or more")
    return number


def _installed_version() -> str:
    try:
        return version("focus-ingest")
    except PackageNotFoundError:  # run from a source tree without installing
        return "unknown (not installed)"


def _add_output(parser: argparse.ArgumentParser, with_json: bool = True) -> None:
    if with_json:
        parser.add_argument("--json", action="store_true", default=None, help="print the result as one JSON object")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("--verbose", "-v", action="store_true", default=None, help="debug logging, dbt's lines")
    verbosity.add_argument("--quiet", "-q", action="store_true", default=None, help="only warnings and errors")


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", type=Path, help=f"DuckDB file (default: {DEFAULT_DATABASE})")
    _add_output(parser)


def _add_lake(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--lake", metavar="FOLDER|S3_URL", help=text)
    parser.add_argument(
        "--lake-endpoint-url",
        metavar="URL",
        help="S3-compatible endpoint of an s3:// lake (default: boto3's, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL)",
    )


_SIZE_OPTIONS = (
    ("--max-file-bytes", "max_file_bytes", "reject a file larger than this, uncompressed (stops gzip bombs)"),
    ("--max-record-bytes", "max_record_bytes", "reject a file with a longer record (quoted newlines included)"),
    ("--read-block-bytes", "read_block_bytes", "bytes DuckDB reads at a time per thread; >= --max-record-bytes"),
)


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("data source (or --config for several)")
    where.add_argument("--source", help="s3://bucket/prefix/ or a local folder holding YYYY-MM/ folders")
    where.add_argument("--name", help="data source name (default: derived from --source; not with --config)")
    where.add_argument(
        "--config", type=Path, help="TOML file listing several data sources and [run] defaults (see README)"
    )
    where.add_argument(
        "--role-arn", help="IAM role to assume for S3 access (cross-account); with --config: for every source"
    )
    where.add_argument("--external-id", help="External ID required by the role's trust policy")
    where.add_argument(
        "--endpoint-url",
        help="S3-compatible endpoint URL; STS stays AWS's unless --sts-endpoint-url or AWS_ENDPOINT_URL_STS names one",
    )
    where.add_argument("--sts-endpoint-url", help="STS endpoint for --role-arn (MinIO, Ceph); default AWS's")
    where.add_argument("--region", help="AWS region (default: boto3's, from the environment or ~/.aws)")
    where.add_argument("--profile", choices=VALIDATION_PROFILES, help="validation profile (default: any)")


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    _add_database(parser)
    _add_lake(parser, "write the raw layer as Parquet into this folder or s3://bucket/prefix/ instead of the "
              "database (the marts stay in the database)")  # fmt: skip
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="data sources loaded at once, each in its own process (needs --lake; default: 1)",
    )
    _add_source_options(parser)
    window = parser.add_argument_group("months")
    window.add_argument(
        "--lookback-months",
        type=non_negative_int,
        metavar="N",
        help=f"months before the as-of month (default: {DEFAULT_LOOKBACK_MONTHS})",
    )
    window.add_argument("--backfill-from", metavar="YYYY-MM", help="also process month folders from this month on")
    window.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day the window ends at (default: today, UTC)")
    reading = parser.add_argument_group("reading")
    reading.add_argument(
        "--memory-limit",
        type=memory_limit,
        metavar="SIZE",
        help="DuckDB's memory limit while reading, loading and building, e.g. 2GB "
        f"(default: {ReadOptions.memory_limit})",
    )
    reading.add_argument(
        "--batch-rows",
        type=positive_int,
        metavar="N",
        help=f"rows per read batch (default: {ReadOptions.batch_rows:,})",
    )
    reading.add_argument(
        "--max-concurrent-fetches",
        type=positive_int,
        metavar="N",
        help=f"downloads from S3 under way at once (default: {ReadOptions.max_concurrent_fetches})",
    )
    reading.add_argument(
        "--max-file-rows",
        type=positive_int,
        metavar="N",
        help=f"reject a file with more records (default: {ReadOptions.max_file_rows:,})",
    )
    for flag, field_name, text in _SIZE_OPTIONS:
        default = getattr(ReadOptions, field_name)
        shown = f"{default // 1024**3} GiB" if default % 1024**3 == 0 else f"{default // 1024**2} MiB"
        reading.add_argument(flag, type=size, metavar="SIZE", help=f"{text}; e.g. 1GB (default: {shown})")
    reading.add_argument(
        "--retry-rejected",
        action="store_true",
        default=None,
        help="read files rejected as unreadable again, although unchanged (they are anyway when a limit changes)",
    )


_READS_LAKE = "the lake the database's raw layer was loaded into (the same --lake as its runs)"


class _Parser(argparse.ArgumentParser):
    """A usage error is one line that names the flag and points to --help, not the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="focus-ingest",
        description="Load FOCUS billing files from S3 month folders into DuckDB, validate them, build cost marts.",
        epilog="Exit status: 0 ok, 1 a data source or dbt build failed, 2 usage or configuration error, "
        "3 files rejected (with --fail-on-rejected).",
    )
    parser.add_argument("--version", action="version", version=f"focus-ingest {_installed_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    load = commands.add_parser("load", help="import new and changed files into the raw layer")
    _add_load_options(load)
    run = commands.add_parser("run", help="load, then dbt build (validation and marts)")
    _add_load_options(run)
    run.add_argument(
        "--engine",
        choices=ENGINES,
        help="what builds the marts: DuckDB in the database, or Apache Spark over the lake (needs --lake, the "
        "`spark` extra and Java 17; the marts become Parquet under <lake>/marts/) (default: duckdb)",
    )
    run.add_argument("--rebuild", action="store_true", default=None, help="run dbt build even if nothing changed")
    run.add_argument(
        "--fail-on-rejected",
        action="store_true",
        default=None,
        help="exit with status 3 when a file of the window is rejected (a gate for CI)",
    )
    status = commands.add_parser("status", help="files and their verdicts, rows per month, the last run")
    _add_database(status)
    _add_lake(status, _READS_LAKE)
    validate = commands.add_parser("validate", help="check files before uploading them, with the ingestion rules")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="CSV or CSV.GZ files")
    validate.add_argument("--month", metavar="YYYY-MM", help="billing month (default: the folder each file is in)")
    validate.add_argument(
        "--profile", choices=VALIDATION_PROFILES, default="any", help="validation profile (default: any)"
    )
    validate.add_argument(
        "--format", choices=("text", "json", "junit"), default="text", help="output format (default: text)"
    )
    _add_output(validate, with_json=False)
    vacuum = commands.add_parser(
        "vacuum", help="delete the rows and lake files superseded file versions left (changes no mart)"
    )
    _add_database(vacuum)
    _add_lake(vacuum, _READS_LAKE)
    report = commands.add_parser("report", help="write a self-contained HTML report of the last run")
    report.add_argument("--output", type=Path, default=Path("report.html"), help="HTML file (default: report.html)")
    _add_database(report)
    _add_lake(report, _READS_LAKE)
    demo = commands.add_parser("demo", help="generate sample data for three months and run a full cycle")
    demo.add_argument(
        "--workdir", type=Path, default=Path("demo"), help="folder for the data and database (default: demo)"
    )
    _add_database(demo)
    return parser
