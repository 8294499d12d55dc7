"""Crashes and concurrency: a killed load is finished by the next run, exactly; two runs never mix."""

from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from loader_helpers import load, minimal_file, query, run_cli, write

from focus_ingest import state
from focus_ingest.sample_data import write_demo_tree

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

AS_OF = "2025-03-15"


def _raw_content(database: Path) -> list[tuple]:
    """Everything a run leaves that matters, without run ids and timestamps."""
    rows = query(
        database,
        "select _ingest_key, _ingest_etag, _ingest_row_number, billed_cost, billing_currency "
        "from raw.focus_rows order by all",
    )
    manifest = query(database, "select key, etag, status, row_count from raw.manifest order by all")
    return rows + [("manifest", *entry) for entry in manifest]


def _load_command(source: Path, database: Path) -> list[str]:
    return [sys.executable, "-m", "focus_ingest.cli", "load", "--source", str(source), "--database", str(database),
            "--as-of", AS_OF, "--batch-rows", "5000", "--quiet"]


def test_sigkill_at_random_points_then_a_normal_run_equals_an_uninterrupted_run(tmp_path):
    source = tmp_path / "bucket"
    for number in range(4):
        write(source / "2025-03" / f"part-{number}.csv", minimal_file("2025-03", 40_000, amount=f"{number}.25"))
    write(source / "2025-02" / "old.csv.gz", minimal_file("2025-02", 30_000))
    reference = tmp_path / "uninterrupted.duckdb"
    started = time.monotonic()
    subprocess.run(_load_command(source, reference), check=True, capture_output=True)
    full_run_seconds = time.monotonic() - started

    database = tmp_path / "killed.duckdb"
    chance = random.Random(20250315)
    kills = 0
    for _ in range(6):
        process = subprocess.Popen(_load_command(source, database), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.2, full_run_seconds))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
    subprocess.run(_load_command(source, database), check=True, capture_output=True)

    assert kills > 0  # the random points fell inside runs, not only after them
    assert _raw_content(database) == _raw_content(reference)


MARTS = (
    "focus_charges", "costs_monthly", "data_sources", "file_validation", "validation_errors",
    "report_costs_by_sub_account",
)  # fmt: skip


def test_sigkill_during_load_or_build_then_a_normal_run_gives_the_marts_of_an_uninterrupted_run(tmp_path):
    source = tmp_path / "bucket"
    write_demo_tree(source, date(2025, 3, 15))
    run = [sys.executable, "-m", "focus_ingest.cli", "run", "--source", str(source), "--as-of", AS_OF, "--quiet"]
    reference = tmp_path / "uninterrupted.duckdb"
    started = time.monotonic()
    built = subprocess.run([*run, "--database", str(reference)], capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    full_run_seconds = time.monotonic() - started

    database = tmp_path / "killed.duckdb"
    chance = random.Random(7)
    for _ in range(4):
        process = subprocess.Popen([*run, "--database", str(database)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.5, full_run_seconds * 0.9))
        process.kill()
        process.wait()
    subprocess.run([*run, "--database", str(database)], check=True, capture_output=True)

    for mart in MARTS:
        sql = f"select * from marts.{mart} order by all"
        assert query(database, sql) == query(reference, sql), mart


def test_a_second_run_on_the_same_database_exits_with_a_clear_message(capsys, tmp_path):
    database = tmp_path / "f.duckdb"
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 2))

    with state.run_lock(database):
        status, _, err = run_cli(capsys, "load", "--source", str(source), "--database", str(database),
                                 "--as-of", AS_OF)

    assert status == 1
    assert f"Another focus-ingest run is using {database}" in err
    assert not database.exists() or query(database, "select count(*) from raw.manifest")[0][0] == 0
    assert load(capsys, database, str(source), "--as-of", AS_OF)["totals"]["rows_loaded"] == 2
