"""Benchmark of the import cycle against DuckDB's own CSV import, on the same generated files.

One command (see BENCHMARKS.md): generates N realistic FOCUS rows (the shape of the FinOps Foundation
sample: 44 columns, JSON Tags, many sub-accounts) over several months and files, `.csv` and `.csv.gz`,
then measures, each in a fresh process so that peak memory is that process's own:

1. ceiling: bare DuckDB `create table … as select * from read_csv(…, all_varchar = true)`;
2. `focus-ingest run` from a local folder (first import: load + validation + marts);
3. `focus-ingest run` from S3 (moto's server on 127.0.0.1);
4. a no-op re-run (nothing changed), at N stored rows and at N / 10;
5. incremental: one new 100k-row file added to the database holding N rows, against the same file into an
   empty database;
6. optionally (`--single-file-mb`), one large `.csv.gz` alone, for peak memory;
7. many small files (`--many-files N`, 3 rows each, three month folders): bare DuckDB's glob import against
   `load` and `run` from a local folder and from S3 with a fixed latency injected before every GET;
8. `--workers` (`--workers-rows N`): N rows over 4 data sources, `load` into a lake by 1 worker and by 2
   worker processes (the ratio column is then to 1 worker's rows/s).

Prints rows/s, the ratio to the ceiling and peak RSS, and writes every figure to `bench/results/*.json`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import duckdb
import pyarrow as pa

from focus_ingest.sample_data import generate_table, write_csv, write_month_files

ROOT = Path(__file__).resolve().parent
MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04")
AS_OF = date(2025, 4, 15)
INCREMENT_ROWS = 100_000
WORKER_SOURCES = 4  # data sources of the `--workers` case
BYTES_PER_ROW = 757  # uncompressed bytes of a generated row: 189,340,230 for 250,000 rows (measured)
logger = logging.getLogger("bench")


@dataclass(frozen=True)
class Measurement:
    name: str
    rows: int
    seconds: float
    peak_rss_mb: float
    exit_status: int
    rows_stored: int | None = None  # rows of loaded files in the database afterwards, when checked
    rows_expected: int | None = None
    files: int | None = None  # files imported, for the cost per file
    cpu_seconds: float = 0.0  # user + system CPU of the measured process: what the machine's load barely moves
    server_cpu_seconds: float = 0.0  # CPU of this process meanwhile: moto's S3 server, when one runs here

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and self.rows_stored == self.rows_expected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# Runs the measured command as its own child and prints that child's peak RSS. Measuring from this
# process instead would count this process's memory too: on Linux a child's maxrss includes the memory
# of the process it was forked from (moto's server holds the uploaded files here). It also prints the
# child's CPU time, which separates the loader's own cost from moto's (this process) on a shared machine.
_LAUNCHER = (
    "import os, subprocess, sys; child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL); "
    "_, status, usage = os.wait4(child.pid, 0); "
    "open(sys.argv[1], 'w').write("
    "f'{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}')"
)


def lake_rows(lake: Path) -> int:
    """Rows of completed loads in the lake's `focus_rows` files (a killed or failed load's do not count)."""
    from focus_ingest.destinations import completed_load_ids

    with duckdb.connect() as connection:
        return int(
            connection.execute(
                "select count(*) from read_parquet($files, hive_partitioning = false, union_by_name = true) "
                "where _dlt_load_id in (select unnest($loads))",
                {"files": str(lake / "raw" / "focus_rows" / "*" / "*.parquet"), "loads": completed_load_ids(lake)},
            ).fetchone()[0]
        )


def stored_rows(database: Path) -> int:
    """Rows of the files the manifest holds as loaded: a run that rejected a file must not pass as fast."""
    with duckdb.connect(str(database), read_only=True) as connection:
        query = "select coalesce(sum(row_count), 0) from raw.manifest where status = 'loaded'"
        return int(connection.execute(query).fetchone()[0])


def measure(
    name: str,
    rows: int,
    command: list[str],
    env: dict[str, str] | None = None,
    database: Path | None = None,
    expect_stored: int | None = None,
    files: int | None = None,
    lake: Path | None = None,
) -> Measurement:
    """Run `command` in a fresh process; wall time, that process's own peak RSS and CPU time (wait4
    rusage), this process's CPU meanwhile (moto's server, when it runs here) and, given a database, the rows
    it holds afterwards (the lake's, given one) against `expect_stored`."""
    with tempfile.NamedTemporaryFile("r", suffix=".rusage") as outcome:
        started = time.perf_counter()
        server_started = time.process_time()
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, outcome.name, *command], env={**os.environ, **(env or {})}, check=True
        )
        seconds = time.perf_counter() - started
        server_cpu = time.process_time() - server_started
        status_text, max_rss_text, cpu_text = outcome.read().split()
    exit_status = int(status_text)
    stored = None
    if exit_status == 0 and lake is not None:
        stored = lake_rows(lake)
    elif exit_status == 0 and database is not None:
        stored = stored_rows(database)
    result = Measurement(
        name, rows, seconds, int(max_rss_text) / 1024, exit_status, stored, expect_stored, files,
        cpu_seconds=float(cpu_text), server_cpu_seconds=server_cpu,
    )  # fmt: skip
    logger.info(
        "%-28s %10.2f s  %12s rows/s  %8.0f MB  cpu %.2f s (server %.2f s)  exit %d%s",
        name,
        seconds,
        f"{result.rows_per_second:,.0f}",
        result.peak_rss_mb,
        result.cpu_seconds,
        result.server_cpu_seconds,
        exit_status,
        "" if result.ok else f"  FAILED: {stored} rows stored, {expect_stored} expected",
    )
    return result


def generate(folder: Path, rows: int, files_per_month: int) -> list[Path]:
    """The data set, cached by its parameters (generation is deterministic)."""
    stamp = folder / f".complete-{rows}-{files_per_month}"
    if stamp.exists():
        return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    shutil.rmtree(folder, ignore_errors=True)
    per_file = rows // (len(MONTHS) * files_per_month)
    paths = [
        p
        for seed, month in enumerate(MONTHS)
        for p in write_month_files(folder, month, files_per_month, per_file, seed)
    ]
    stamp.touch()
    return paths


def cli(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "focus_ingest.cli", *arguments, "--as-of", AS_OF.isoformat(), "--quiet"]


def ceiling_command(folder: Path, database: Path) -> list[str]:
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        'c.execute("create table t as select * from read_csv([$plain, $gz], all_varchar = true, '
        "union_by_name = true)\", {'plain': sys.argv[2] + '/*/*.csv', 'gz': sys.argv[2] + '/*/*.csv.gz'})"
    )
    return [sys.executable, "-c", code, str(database), str(folder)]


def s3_environment(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ENDPOINT_URL_STS": endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def upload(folder: Path, endpoint: str, bucket: str = "bench-billing") -> str:
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    s3.create_bucket(Bucket=bucket)
    for path in folder.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            s3.upload_file(str(path), bucket, f"focus/{path.relative_to(folder).as_posix()}")
    return f"s3://{bucket}/focus/"


MANY_MONTHS = ("2025-01", "2025-02", "2025-03")
MANY_AS_OF = date(2025, 3, 15)


def generate_many(folder: Path, files: int, rows_per_file: int) -> None:
    """`files` plain CSV files of `rows_per_file` generated rows, spread over three month folders (cached)."""
    stamp = folder / f".complete-{files}-{rows_per_file}"
    if stamp.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    per_month = files // len(MANY_MONTHS)
    for seed, month in enumerate(MANY_MONTHS):
        count = per_month + (1 if seed < files % len(MANY_MONTHS) else 0)
        table: pa.Table = generate_table(month, count * rows_per_file, seed)
        for number in range(count):
            write_csv(table.slice(number * rows_per_file, rows_per_file), folder / month / f"part-{number + 1:05d}.csv")
    stamp.touch()


def glob_ceiling_command(folder: Path, database: Path) -> list[str]:
    """Bare DuckDB importing every file of the folder in one glob, as issue 16 measured it."""
    code = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
        'c.execute("create table t as select * from read_csv($files, all_varchar = true, union_by_name = true)", '
        "{'files': sys.argv[2] + '/*/*.csv'})"
    )
    return [sys.executable, "-c", code, str(database), str(folder)]


class _GetLatency:
    """WSGI middleware in front of moto: every object GET waits `seconds` first, like a real endpoint."""

    def __init__(self, app: object, seconds: float) -> None:
        self._app = app
        self._seconds = seconds

    def __call__(self, environ: dict[str, object], start_response: object) -> object:
        is_object = "/" in str(environ.get("PATH_INFO", "")).strip("/")  # /bucket/key, not /bucket?list-type=2
        if environ.get("REQUEST_METHOD") == "GET" and is_object:
            time.sleep(self._seconds)
        return self._app(environ, start_response)  # type: ignore[operator]


def many_files_case(work: Path, runs: Path, files: int, latency_ms: int, skip_s3: bool) -> list[Measurement]:
    """Issue 16: thousands of small files, where the cost of a file, not of a row, decides."""
    rows_per_file = 3
    rows = files * rows_per_file
    data = work / f"many-{files}x{rows_per_file}"
    logger.info("generating %s files of %d rows under %s (cached)", f"{files:,}", rows_per_file, data)
    generate_many(data, files, rows_per_file)
    window = ["--backfill-from", MANY_MONTHS[0]]

    def many_cli(*arguments: str) -> list[str]:
        return [sys.executable, "-m", "focus_ingest.cli", *arguments, "--as-of", MANY_AS_OF.isoformat(), "--quiet"]

    glob = glob_ceiling_command(data, runs / "many-glob.duckdb")
    results = [measure(f"ceiling, glob of {files:,} files", rows, glob, files=files)]
    for command in ("load", "run"):
        database = runs / f"many-{command}.duckdb"
        results.append(
            measure(
                f"{command}, {files:,} files, local",
                rows,
                many_cli(command, "--source", str(data), *window, "--database", str(database)),
                database=database,
                expect_stored=rows,
                files=files,
            )
        )
    if skip_s3:
        return results
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        uri = upload(data, endpoint, bucket="bench-many")
        assert server._server is not None
        server._server.app = _GetLatency(server._server.app, latency_ms / 1000)
        for command in ("load", "run"):
            database = runs / f"many-s3-{command}.duckdb"
            results.append(
                measure(
                    f"{command}, {files:,} files, S3 +{latency_ms} ms/GET",
                    rows,
                    many_cli(command, "--source", uri, *window, "--database", str(database)),
                    env=s3_environment(endpoint),
                    database=database,
                    expect_stored=rows,
                    files=files,
                )
            )
    finally:
        server.stop()
    logger.info("sequential GET latency alone would be %.1f s", files * latency_ms / 1000)
    return results


def workers_case(work: Path, runs: Path, rows: int, files_per_month: int) -> list[Measurement]:
    """`--workers`: the same data sources loaded into a lake by one process, then by two worker processes;
    the first measurement is the group's base, so its ratio column reads as the speed-up."""
    per_source = rows // WORKER_SOURCES
    data = work / f"workers-{rows}"
    logger.info("generating %s rows in %d data sources under %s (cached)", f"{rows:,}", WORKER_SOURCES, data)
    stored = 0
    entries = ""
    for number in range(WORKER_SOURCES):
        folder = data / f"source-{number}"
        generate(folder, per_source, files_per_month)
        stored += per_source // (len(MONTHS) * files_per_month) * len(MONTHS) * files_per_month
        entries += f'[[sources]]\nname = "source-{number}"\nlocation = "{folder}"\n'
    results = []
    for workers in (1, 2):
        folder = runs / f"workers-{workers}"
        folder.mkdir()
        config = folder / "focus.toml"
        config.write_text(
            f'[run]\nlake = "lake"\ndatabase = "focus.duckdb"\nworkers = {workers}\n'
            f'backfill_from = "{MONTHS[0]}"\n{entries}'
        )
        results.append(
            measure(
                f"load, {WORKER_SOURCES} sources, {workers} worker{'s' if workers > 1 else ''}",
                stored,
                cli("load", "--config", str(config)),
                lake=folder / "lake",
                expect_stored=stored,
            )
        )
    return results


def rows_case(arguments: argparse.Namespace, work: Path, runs: Path) -> list[Measurement]:
    """Issue 4: millions of rows in a few large files, first import, no-op, incremental, S3, one large file."""
    rows = arguments.rows
    data = work / f"data-{rows}"
    logger.info("generating %s rows under %s (cached)", f"{rows:,}", data)
    generate(data, rows, arguments.files_per_month)
    results: list[Measurement] = []

    results.append(measure("ceiling (duckdb read_csv)", rows, ceiling_command(data, runs / "ceiling.duckdb")))
    first = runs / "first.duckdb"
    source = ["--source", str(data), "--backfill-from", MONTHS[0]]
    run_first = cli("run", *source, "--database", str(first))
    results.append(measure("run, local folder", rows, run_first, database=first, expect_stored=rows))
    results.append(measure("no-op re-run", 0, run_first, database=first, expect_stored=rows))

    increment = work / f"increment-{INCREMENT_ROWS}"
    if not (increment / ".complete").exists():
        shutil.rmtree(increment, ignore_errors=True)
        write_csv(
            generate_table(MONTHS[-1], INCREMENT_ROWS, 99, part=99),
            increment / MONTHS[-1] / "added.csv.gz",
            compress=True,
        )
        (increment / ".complete").touch()
    added = data / MONTHS[-1] / "zz-added.csv.gz"
    shutil.copy(increment / MONTHS[-1] / "added.csv.gz", added)
    try:
        results.append(
            measure(
                "incremental, into N rows",
                INCREMENT_ROWS,
                run_first,
                database=first,
                expect_stored=rows + INCREMENT_ROWS,
            )
        )
    finally:
        added.unlink()
    empty = runs / "empty.duckdb"
    results.append(
        measure(
            "same file, empty database",
            INCREMENT_ROWS,
            cli("run", "--source", str(increment), "--database", str(empty)),
            database=empty,
            expect_stored=INCREMENT_ROWS,
        )
    )

    small_rows = max(rows // 10, INCREMENT_ROWS)
    small = work / f"data-{small_rows}"
    generate(small, small_rows, arguments.files_per_month)
    small_db = runs / "small.duckdb"
    small_source = ["--source", str(small), "--backfill-from", MONTHS[0]]
    subprocess.run(cli("run", *small_source, "--database", str(small_db)), check=True, stdout=subprocess.DEVNULL)
    results.append(
        measure(
            f"no-op re-run at {small_rows:,} rows",
            0,
            cli("run", *small_source, "--database", str(small_db)),
            database=small_db,
            expect_stored=small_rows,
        )
    )

    if not arguments.skip_s3:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            uri = upload(data, endpoint)
            results.append(
                measure(
                    "run, S3 (moto, loopback)",
                    rows,
                    cli("run", "--source", uri, "--backfill-from", MONTHS[0], "--database", str(runs / "s3.duckdb")),
                    env=s3_environment(endpoint),
                    database=runs / "s3.duckdb",
                    expect_stored=rows,
                )
            )
        finally:
            server.stop()

    if arguments.single_file_mb:
        single = work / f"single-{arguments.single_file_mb}mb"
        target = single / MONTHS[-1] / "large.csv.gz"
        single_rows = arguments.single_file_mb * 1024 * 1024 // BYTES_PER_ROW
        if not target.exists():
            write_csv(generate_table(MONTHS[-1], single_rows, 7), target, compress=True)
        results.append(
            measure(
                f"one {arguments.single_file_mb} MB .csv.gz, load",
                single_rows,
                cli("load", "--source", str(single), "--database", str(runs / "single.duckdb")),
                database=runs / "single.duckdb",
                expect_stored=single_rows,
            )
        )

    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000, help="rows of the row-volume case (0: leave it out)")
    parser.add_argument("--files-per-month", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "work")
    parser.add_argument("--skip-s3", action="store_true", help="leave out the S3 measurement")
    parser.add_argument("--single-file-mb", type=int, default=0, help="also measure one .csv.gz this large")
    parser.add_argument("--many-files", type=int, default=0, help="also measure this many 3-row files (issue 16)")
    parser.add_argument(
        "--workers-rows", type=int, default=0, help=f"also load this many rows in {WORKER_SOURCES} data sources "
        "with 1 and 2 workers"
    )  # fmt: skip
    parser.add_argument("--latency-ms", type=int, default=30, help="latency injected before each S3 GET (many files)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
    work = arguments.workdir
    work.mkdir(parents=True, exist_ok=True)
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
    groups: list[list[Measurement]] = []  # each group's first measurement is its ceiling
    if arguments.rows:
        groups.append(rows_case(arguments, work, runs))
    if arguments.many_files:
        groups.append(many_files_case(work, runs, arguments.many_files, arguments.latency_ms, arguments.skip_s3))
    if arguments.workers_rows:
        groups.append(workers_case(work, runs, arguments.workers_rows, arguments.files_per_month))
    results = [m for group in groups for m in group]
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "rows": arguments.rows,
        "many_files": arguments.many_files,
        "latency_ms": arguments.latency_ms,
        "workers_rows": arguments.workers_rows,
        "measurements": [
            {
                **asdict(m),
                "rows_per_second": round(m.rows_per_second),
                "ratio_to_ceiling": round(m.rows_per_second / group[0].rows_per_second, 3) if m.rows else None,
                "ms_per_file": round(1000 * m.seconds / m.files, 2) if m.files else None,
                "cpu_ms_per_file": round(1000 * m.cpu_seconds / m.files, 2) if m.files else None,
            }
            for group in groups
            for m in group
        ],
    }
    output = ROOT / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{arguments.rows}-{arguments.many_files}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    print(
        f"\n{'measurement':<36} {'seconds':>9} {'rows/s':>12} {'x ceiling':>10} {'ms/file':>8} {'peak RSS MB':>12} "
        f"{'CPU s':>7} {'CPU ms/file':>11} {'server CPU s':>12}"
    )
    for entry in report["measurements"]:
        ratio = "" if entry["ratio_to_ceiling"] is None else f"{entry['ratio_to_ceiling']:.2f}"
        per_file = "" if entry["ms_per_file"] is None else f"{entry['ms_per_file']:.2f}"
        print(
            f"{entry['name']:<36} {entry['seconds']:>9.2f} {entry['rows_per_second']:>12,} {ratio:>10} "
            f"{per_file:>8} {entry['peak_rss_mb']:>12.0f} {entry['cpu_seconds']:>7.2f} "
            f"{'' if entry['cpu_ms_per_file'] is None else format(entry['cpu_ms_per_file'], '.2f'):>11} "
            f"{entry['server_cpu_seconds']:>12.2f}"
        )
    print(f"\nfigures written to {output}")
    failed = [m.name for m in results if not m.ok]
    if failed:
        print(f"FAILED (exit status or stored rows wrong): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
