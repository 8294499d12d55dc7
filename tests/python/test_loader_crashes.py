"""Crashes and concurrency: a killed load is finished or redone by the next run, exactly; two runs never mix.

Every kill lands at a named point of the work (tests/python/kill_runner.py), not after a sleep, so each
test meets the same state on any machine.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from loader_helpers import file_statuses, load, minimal_file, query, run_cli, write

from focus_ingest import state
from focus_ingest.pipeline import work_dir_for
from focus_ingest.sample_data import write_demo_tree

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

AS_OF = "2025-03-15"
KILL_RUNNER = Path(__file__).with_name("kill_runner.py")


def _raw_content(database: Path) -> list[tuple]:
    """Everything a run leaves that matters, without load ids and timestamps: every raw row (the clean-up
    leaves only those that count) and every file version's status from the event log."""
    rows = query(
        database,
        "select _ingest_key, _ingest_etag, _ingest_row_number, billed_cost, billing_currency "
        "from raw.focus_rows order by all",
    )
    statuses = sorted((s["key"], s["etag"], s["status"], s["row_count"]) for s in file_statuses(database))
    return rows + [("status", *entry) for entry in statuses]


def _killed_at(point: str, nth: int, arguments: list[str]) -> None:
    """Run the CLI until it reaches `point` for the `nth` time, where it dies of SIGKILL."""
    process = subprocess.run([sys.executable, str(KILL_RUNNER), point, str(nth), *arguments], capture_output=True,
                             text=True, timeout=600)  # fmt: skip
    assert process.returncode == -signal.SIGKILL, (point, process.returncode, process.stderr[-3000:])


def _load_arguments(source: Path, database: Path) -> list[str]:
    return ["load", "--source", str(source), "--database", str(database), "--as-of", AS_OF, "--batch-rows", "5000",
            "--quiet"]  # fmt: skip


def _load(source: Path, database: Path) -> None:
    subprocess.run([sys.executable, "-m", "focus_ingest.cli", *_load_arguments(source, database)], check=True,
                   capture_output=True)  # fmt: skip


def _bucket(tmp_path: Path) -> Path:
    source = tmp_path / "bucket"
    for number in range(4):
        write(source / "2025-03" / f"part-{number}.csv", minimal_file("2025-03", 12_000, amount=f"{number}.25"))
    write(source / "2025-02" / "old.csv.gz", minimal_file("2025-02", 9_000))
    return source


# Each point in turn on one database: every kill meets what the kills before it left.
KILLS = (
    ("file_read", 2),  # during dlt's extract: only an uncommitted package folder exists
    ("extracted", 1),  # an extracted package: the next run normalizes and loads it
    ("normalized", 1),  # a normalized package: the next run loads it
    ("table_copied", 2),  # part of the package's tables are in the database, no _dlt_loads row
    ("before_commit", 1),  # every table and dlt's state are in, no _dlt_loads row
    ("after_commit", 1),  # committed; the raw clean-up did not run
)


def test_sigkill_at_each_step_then_a_normal_run_equals_an_uninterrupted_run(tmp_path):
    source = _bucket(tmp_path)
    reference = tmp_path / "uninterrupted.duckdb"
    subprocess.run([sys.executable, "-m", "focus_ingest.cli", *_load_arguments(source, reference)], check=True,
                   capture_output=True)  # fmt: skip

    database = tmp_path / "killed.duckdb"
    for point, nth in KILLS:
        _killed_at(point, nth, _load_arguments(source, database))
    subprocess.run([sys.executable, "-m", "focus_ingest.cli", *_load_arguments(source, database)], check=True,
                   capture_output=True)  # fmt: skip

    assert _raw_content(database) == _raw_content(reference)


@pytest.mark.parametrize("point", ["rows_copied", "before_commit"])
def test_sigkill_before_the_commit_then_a_run_on_a_fresh_work_dir_loses_and_doubles_nothing(tmp_path, point):
    """Another machine (or a wiped work dir): dlt's pending package is gone, and the rows, events and dlt
    state that landed without their `_dlt_loads` row must neither count nor hide the files."""
    source = _bucket(tmp_path)
    reference = tmp_path / "uninterrupted.duckdb"
    subprocess.run([sys.executable, "-m", "focus_ingest.cli", *_load_arguments(source, reference)], check=True,
                   capture_output=True)  # fmt: skip
    database = tmp_path / "killed.duckdb"
    _killed_at(point, 1, _load_arguments(source, database))
    assert query(database, "select count(*) from raw.focus_rows")[0][0] > 0  # rows landed, uncommitted
    shutil.rmtree(work_dir_for(database))

    subprocess.run([sys.executable, "-m", "focus_ingest.cli", *_load_arguments(source, database)], check=True,
                   capture_output=True)  # fmt: skip

    assert _raw_content(database) == _raw_content(reference)


MARTS = (
    "focus_charges", "costs_monthly", "data_sources", "file_validation", "validation_errors",
    "report_costs_by_sub_account",
)  # fmt: skip


def test_sigkill_during_load_or_build_then_a_normal_run_gives_the_marts_of_an_uninterrupted_run(tmp_path):
    source = tmp_path / "bucket"
    write_demo_tree(source, date(2025, 3, 15))
    run = ["run", "--source", str(source), "--as-of", AS_OF, "--quiet"]
    reference = tmp_path / "uninterrupted.duckdb"
    built = subprocess.run([sys.executable, "-m", "focus_ingest.cli", *run, "--database", str(reference)],
                           capture_output=True, text=True)  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]

    database = tmp_path / "killed.duckdb"
    for point, nth in (("before_commit", 1), ("dbt_node", 40)):
        _killed_at(point, nth, [*run, "--database", str(database)])
    subprocess.run([sys.executable, "-m", "focus_ingest.cli", *run, "--database", str(database)], check=True,
                   capture_output=True)  # fmt: skip

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
    assert not database.exists() or file_statuses(database) == []
    assert load(capsys, database, str(source), "--as-of", AS_OF)["totals"]["rows_loaded"] == 2


def test_a_left_package_that_cannot_be_loaded_is_aborted_with_a_warning_and_its_files_read_again(tmp_path):
    source = _bucket(tmp_path)
    reference, database = tmp_path / "uninterrupted.duckdb", tmp_path / "killed.duckdb"
    for loaded in (reference, database):  # a database that has the raw layer already (dlt wipes the work dir of
        _load(source, loaded)  # a pipeline whose destination is still empty, pending package included)
    write(source / "2025-03" / "part-new.csv", minimal_file("2025-03", 7, amount="7.77"))
    _load(source, reference)
    _killed_at("normalized", 1, _load_arguments(source, database))
    (rows_job,) = work_dir_for(database).glob("dlt/*/load/normalized/*/new_jobs/focus_rows.*.parquet")
    rows_job.write_bytes(b"not parquet")  # the left package can never be loaded

    shown = [argument for argument in _load_arguments(source, database) if argument != "--quiet"]
    finished = subprocess.run([sys.executable, "-m", "focus_ingest.cli", *shown], capture_output=True, text=True)

    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "cannot be finished" in finished.stderr and "its files are read again" in finished.stderr
    assert "1 new, 0 changed, 5 unchanged" in finished.stdout
    assert _raw_content(database) == _raw_content(reference)
