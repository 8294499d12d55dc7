"""Benchmark of `focus-ingest validate` (issue 13): wall time and peak RSS on 3 rows, 1,000 rows and 1,000,000 rows.

Each measurement runs the command in a fresh launcher process, which starts it, waits for it and reports
`resource.getrusage(RUSAGE_CHILDREN)`: the peak RSS of that one command (and its children), not of this
script. Beside the cached path (`focus-ingest validate`) it measures, in the same run and on the same files:
the dbt path (loader + `dbt build`, what validate did before), bare DuckDB reading the file as text (the floor
any DuckDB-based reader pays), and the FinOps Foundation's focus-validator when FOCUS_VALIDATOR names its
executable, and with `--baseline DIR` an earlier version's `validate` from its source tree. Each case runs the
tools in turn, `--repeat` times, and reports the medians: the machine is shared and one run is noise. Speed
goals are figures, not assertions: this prints a Markdown table (and `--json`).

    python bench/validate_benchmark.py [--rows 1000000] [--repeat 5] [--big-repeat 3] [--skip-dbt-path] [--json F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLES = REPOSITORY / "reference" / "focus-samples"
PYTHON = sys.executable
FOCUS_INGEST = str(Path(PYTHON).with_name("focus-ingest"))
DBT_PATH = (
    "import sys; from pathlib import Path; from focus_ingest.validation_build import validate_files_with_dbt;"
    "validate_files_with_dbt([Path(sys.argv[1])], None, 'any')"
)
BARE_DUCKDB = (
    "import sys, duckdb; duckdb.connect().execute("
    '"create table t as select * from read_csv(?, all_varchar = true)", [sys.argv[1]])'
)


@dataclass(frozen=True)
class Measurement:
    case: str
    tool: str
    seconds: float
    peak_rss_mb: float
    exit_status: int


@dataclass(frozen=True)
class Tool:
    command: list[str]
    cwd: Path | None = None
    environment: dict[str, str] | None = None  # None: this process's


def _launch(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run `command` in a fresh launcher process: (wall seconds, peak RSS MB of the command, exit status)."""
    launcher = (
        "import json, resource, subprocess, sys, time\n"
        "started = time.perf_counter()\n"
        "status = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - started\n"
        "print(json.dumps([wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, status]))\n"
    )
    launched = [PYTHON, "-c", launcher, *command]
    output = subprocess.run(launched, capture_output=True, text=True, check=True, cwd=cwd, env=env).stdout
    wall, rss, status = json.loads(output)
    return wall, rss, status


def _files(work: Path, rows: int, samples: Path) -> dict[str, Path]:
    """The three inputs, in month folders validate accepts; the big one is the 1k sample repeated."""
    small = work / "2025-03" / "doc_example.csv"
    sample = work / "2024-09" / "focus_sample_1000.csv"
    big = work / "big" / "2024-09" / f"focus_sample_x{rows // 1000}.csv"
    for source, target in ((samples / "doc_example.csv", small), (samples / "focus_sample_1000.csv", sample)):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    if not big.exists():
        header, _, body = (samples / "focus_sample_1000.csv").read_bytes().partition(b"\n")
        body = body if body.endswith(b"\n") else body + b"\n"
        big.parent.mkdir(parents=True, exist_ok=True)
        partial = big.with_suffix(".partial")
        with partial.open("wb") as handle:
            handle.write(header + b"\n")
            for _ in range(rows // 1000):
                handle.write(body)
        partial.rename(big)
    return {"3 rows (doc_example.csv)": small, "1,000 rows (focus_sample_1000.csv)": sample,
            f"{rows:,} rows (the 1k sample repeated)": big}  # fmt: skip


def _validator_folder(executable: Path) -> Path:
    """focus-validator 2.2.1 opens `focus_validator/rules/currency_codes.csv` relative to the working folder."""
    for folder in sorted(executable.resolve().parent.parent.glob("lib/python*/site-packages")):
        if (folder / "focus_validator").is_dir():
            return folder
    raise SystemExit(f"FOCUS_VALIDATOR={executable}: no focus_validator package in its environment")


def _tools(skip_dbt_path: bool, baseline: Path | None) -> dict[str, Tool]:
    tools = {"focus-ingest validate (cached SQL)": Tool([FOCUS_INGEST, "validate", "--format", "json"])}
    if baseline is not None:  # an earlier version's source tree, run by this environment's Python
        environment = {**os.environ, "PYTHONPATH": str(baseline.resolve() / "loader")}
        command = [PYTHON, "-m", "focus_ingest.cli", "validate", "--format", "json"]
        tools[f"focus-ingest validate, baseline {baseline.name}"] = Tool(command, environment=environment)
    if not skip_dbt_path:
        tools["validate through dlt + dbt build (before)"] = Tool([PYTHON, "-c", DBT_PATH])
    tools["bare DuckDB read_csv, all text"] = Tool([PYTHON, "-c", BARE_DUCKDB])
    if os.environ.get("FOCUS_VALIDATOR"):
        executable = Path(os.environ["FOCUS_VALIDATOR"])
        command = [str(executable), "--block-download", "--data-file"]
        tools["focus-validator (FinOps Foundation)"] = Tool(command, cwd=_validator_folder(executable))
    return tools


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big file (a multiple of 1,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per case (medians are reported)")
    parser.add_argument("--big-repeat", type=int, default=3, help="runs of the big file per tool")
    parser.add_argument("--work", type=Path, default=REPOSITORY / "bench" / ".validate-data", help="input folder")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of doc_example.csv and the 1k sample")
    parser.add_argument("--skip-dbt-path", action="store_true", help="do not measure the dbt path (slow)")
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON")
    parser.add_argument(
        "--baseline", type=Path, help="source tree of an earlier version (`git archive REV | tar -x -C DIR`) to compare"
    )
    arguments = parser.parse_args()
    if arguments.rows < 1000 or arguments.rows % 1000:
        parser.error("--rows must be a positive multiple of 1000")
    if not (arguments.samples / "focus_sample_1000.csv").is_file():
        parser.error(f"--samples {arguments.samples}: no focus_sample_1000.csv there")
    files = _files(arguments.work, arguments.rows, arguments.samples)
    # The first validate after a project change compiles the models with dbt; measured apart.
    cache = arguments.work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    os.environ["FOCUS_INGEST_CACHE_DIR"] = str(cache)
    cold = _launch([FOCUS_INGEST, "validate", str(files["3 rows (doc_example.csv)"])])
    measurements = [Measurement("3 rows, empty cache (compiles once)", "focus-ingest validate", *cold)]
    tools = _tools(arguments.skip_dbt_path, arguments.baseline)
    for name, tool in tools.items():  # the baseline's own cache entry is built here, not in a measured run
        if name.startswith("focus-ingest validate"):
            _launch([*tool.command, str(files["3 rows (doc_example.csv)"])], tool.cwd, tool.environment)
    for case, path in files.items():
        repeat = arguments.big_repeat if path.stat().st_size > 50_000_000 else arguments.repeat
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in tools}
        for _ in range(repeat):  # the tools in turn, so that each sees the same load on the shared machine
            for name, tool in tools.items():
                runs[name].append(_launch([*tool.command, str(path)], tool.cwd, tool.environment))
        for name, its_runs in runs.items():
            median = _median(its_runs)
            measurements.append(Measurement(case, name, *median))
            print(f"{case:<40} {name:<45} {median[0]:7.2f} s {median[1]:7.0f} MB  (runs: "
                  f"{' '.join(f'{run[0]:.2f}' for run in its_runs)})", file=sys.stderr)  # fmt: skip
    print(_markdown(measurements))
    if arguments.json:
        arguments.json.write_text(json.dumps([asdict(m) for m in measurements], indent=2))
    return 0


def _median(runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """The median wall time and the median peak RSS of the runs (the machine is shared: one run is noise)."""
    statuses = {status for _, _, status in runs}
    return statistics.median(w for w, _, _ in runs), statistics.median(r for _, r, _ in runs), max(statuses)


def _markdown(measurements: list[Measurement]) -> str:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load}",
        "",
        "| file | tool | wall | peak RSS | exit |",
        "|---|---|---:|---:|---:|",
    ]
    lines += [
        f"| {m.case} | {m.tool} | {m.seconds:.2f} s | {m.peak_rss_mb:.0f} MB | {m.exit_status} |" for m in measurements
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(status)
