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
6. optionally (`--single-file-mb`), one large `.csv.gz` alone, for peak memory.

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

from loader.sample_data import generate_table, write_csv, write_month_files

ROOT = Path(__file__).resolve().parent
MONTHS = ("2025-01", "2025-02", "2025-03", "2025-04")
AS_OF = date(2025, 4, 15)
INCREMENT_ROWS = 100_000
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

    @property
    def ok(self) -> bool:
        return self.exit_status == 0 and self.rows_stored == self.rows_expected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# Runs the measured command as its own child and prints that child's peak RSS. Measuring from this
# process instead would count this process's memory too: on Linux a child's maxrss includes the memory
# of the process it was forked from (moto's server holds the uploaded files here).
_LAUNCHER = (
    "import os, subprocess, sys; child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL); "
    "_, status, usage = os.wait4(child.pid, 0); "
    "open(sys.argv[1], 'w').write(f'{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}')"
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
) -> Measurement:
    """Run `command` in a fresh process; wall time, that process's own peak RSS (wait4 rusage) and, given
    a database, the rows it holds afterwards against `expect_stored`."""
    with tempfile.NamedTemporaryFile("r", suffix=".rusage") as outcome:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, outcome.name, *command], env={**os.environ, **(env or {})}, check=True
        )
        seconds = time.perf_counter() - started
        exit_status, max_rss_kb = (int(value) for value in outcome.read().split())
    stored = stored_rows(database) if database is not None and exit_status == 0 else None
    result = Measurement(name, rows, seconds, max_rss_kb / 1024, exit_status, stored, expect_stored)
    logger.info(
        "%-28s %10.2f s  %12s rows/s  %8.0f MB  exit %d%s",
        name,
        seconds,
        f"{result.rows_per_second:,.0f}",
        result.peak_rss_mb,
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
    return [sys.executable, "-m", "loader.cli", *arguments, "--as-of", AS_OF.isoformat(), "--quiet"]


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


def upload(folder: Path, endpoint: str) -> str:
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench", region_name="us-east-1"
    )
    s3.create_bucket(Bucket="bench-billing")
    for path in folder.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            s3.upload_file(str(path), "bench-billing", f"focus/{path.relative_to(folder).as_posix()}")
    return "s3://bench-billing/focus/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--files-per-month", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=ROOT / "work")
    parser.add_argument("--skip-s3", action="store_true", help="leave out the S3 measurement")
    parser.add_argument("--single-file-mb", type=int, default=0, help="also measure one .csv.gz this large")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request otherwise
    work = arguments.workdir
    work.mkdir(parents=True, exist_ok=True)
    rows = arguments.rows
    data = work / f"data-{rows}"
    logger.info("generating %s rows under %s (cached)", f"{rows:,}", data)
    generate(data, rows, arguments.files_per_month)
    runs = work / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir()
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

    ceiling = results[0]
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "rows": rows,
        "measurements": [
            {
                **asdict(m),
                "rows_per_second": round(m.rows_per_second),
                "ratio_to_ceiling": round(m.rows_per_second / ceiling.rows_per_second, 3) if m.rows else None,
            }
            for m in results
        ],
    }
    output = ROOT / "results" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{rows}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    print(f"\n{'measurement':<32} {'seconds':>9} {'rows/s':>12} {'x ceiling':>10} {'peak RSS MB':>12}")
    for entry in report["measurements"]:
        ratio = "" if entry["ratio_to_ceiling"] is None else f"{entry['ratio_to_ceiling']:.2f}"
        print(
            f"{entry['name']:<32} {entry['seconds']:>9.2f} {entry['rows_per_second']:>12,} {ratio:>10} "
            f"{entry['peak_rss_mb']:>12.0f}"
        )
    print(f"\nfigures written to {output}")
    failed = [m.name for m in results if not m.ok]
    if failed:
        print(f"FAILED (exit status or stored rows wrong): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
