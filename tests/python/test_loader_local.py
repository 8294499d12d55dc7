"""The import cycle on a local folder source: discovery, window, change detection, reading, recovery."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from dlt.destinations.job_client_impl import SqlJobClientBase
from loader_helpers import (
    DOC_EXAMPLE,
    MINIMAL_HEADER,
    SAMPLE_1000,
    csv_records,
    file_statuses,
    load,
    loaded_rows,
    minimal_file,
    query,
    query_statuses,
    run_cli,
    write,
)

from focus_ingest import pipeline, reading
from focus_ingest.reading import column_key

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return tmp_path / "bucket"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "focus.duckdb"


def test_discovery_reports_every_ignored_object_with_its_reason(capsys, source, database):
    write(source / "2025-03" / "good.csv", minimal_file("2025-03", 2))
    write(source / "202503" / "a.csv", minimal_file("2025-03", 1))
    write(source / "March-2025" / "b.csv", minimal_file("2025-03", 1))
    write(source / "2025-03" / "costs.xlsx", b"PK")
    write(source / "2025-03" / "deep" / "c.csv", minimal_file("2025-03", 1))
    write(source / "loose.csv", minimal_file("2025-03", 1))
    write(source / "2025-13" / "d.csv", minimal_file("2025-03", 1))

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")

    reasons = {entry["key"]: entry["reason"] for entry in summary["sources"][0]["ignored"]}
    assert reasons["202503/a.csv"] == "folder '202503' is not named YYYY-MM (rename it to 2025-03/)"
    assert "'March-2025' is not a billing month" in reasons["March-2025/b.csv"]
    assert reasons["2025-03/costs.xlsx"].startswith(".xlsx is not supported")
    assert reasons["2025-03/deep/c.csv"].startswith("nested too deep")
    assert reasons["loose.csv"].startswith("not inside a month folder")
    assert "'2025-13' is not a billing month" in reasons["2025-13/d.csv"]
    assert summary["totals"]["files_ignored"] == 6
    assert summary["totals"]["files_new"] == 1
    assert loaded_rows(database) == 2


def test_extensions_are_case_insensitive_and_gzip_is_read(capsys, source, database):
    write(source / "2025-03" / "A.CSV", minimal_file("2025-03", 2))
    write(source / "2025-03" / "b.CSV.GZ", minimal_file("2025-03", 3))
    write(source / "2025-03" / "c.csv.gz", minimal_file("2025-03", 4))

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert summary["totals"]["files_new"] == 3
    assert loaded_rows(database, "b.CSV.GZ") == 3
    assert loaded_rows(database, "c.csv.gz") == 4
    assert loaded_rows(database) == 9


def test_lookback_window_and_backfill(capsys, source, database):
    for month in ("2024-11", "2024-12", "2025-01", "2025-02", "2025-03", "2025-04"):
        write(source / month / "f.csv", minimal_file(month, 1))

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")
    report = summary["sources"][0]
    assert report["periods_processed"] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert report["periods_skipped"] == ["2024-11", "2024-12"]
    assert summary["totals"]["periods_skipped"] == 2
    assert query(database, "select distinct _ingest_billing_month from raw.focus_rows order by 1") == [
        ("2025-01",), ("2025-02",), ("2025-03",), ("2025-04",)
    ]

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15", "--backfill-from", "2024-12")
    report = summary["sources"][0]
    assert report["periods_skipped"] == ["2024-11"]
    assert summary["totals"]["files_new"] == 1  # only 2024-12 is new
    assert summary["totals"]["files_unchanged"] == 4

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15", "--lookback-months", "0")
    assert summary["sources"][0]["periods_processed"] == ["2025-03", "2025-04"]


def test_no_billing_periods_found_says_what_it_saw_and_the_layout(capsys, source, database):
    write(source / "202503" / "a.csv", minimal_file("2025-03", 1))

    status, out, err = run_cli(capsys, "load", "--source", str(source), "--database", str(database))

    assert status == 1
    assert "FAILED: No billing periods found" in out
    assert "202503/a.csv: folder '202503' is not named YYYY-MM" in out
    assert "Expected layout: <prefix>/YYYY-MM/" in out
    assert "Traceback" not in out + err


def test_unchanged_rerun_reads_nothing_and_changed_file_replaces_its_rows(capsys, source, database):
    first = write(source / "2025-03" / "a.csv", minimal_file("2025-03", 5))
    write(source / "2025-03" / "b.csv", minimal_file("2025-03", 2))
    load(capsys, database, str(source), "--as-of", "2025-03-15")

    again = load(capsys, database, str(source), "--as-of", "2025-03-15")
    assert again["totals"]["files_unchanged"] == 2
    assert again["totals"]["objects_downloaded"] == 0
    assert again["totals"]["rows_loaded"] == 0
    assert loaded_rows(database) == 7

    write(first, minimal_file("2025-03", 3, amount="9.99"))
    os.utime(first, ns=(first.stat().st_atime_ns, first.stat().st_mtime_ns + 1_000_000_000))
    changed = load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert changed["totals"]["files_changed"] == 1
    assert changed["totals"]["objects_downloaded"] == 1
    assert query(database, "select billed_cost, count(*) from raw.focus_rows where _ingest_key = '2025-03/a.csv' "
                           "group by 1") == [("9.99", 3)]
    assert loaded_rows(database) == 5
    statuses = query_statuses(database, "select status from file_statuses where key = '2025-03/a.csv' "
                                        "order by cast(first_load as decimal(24, 10))")
    assert statuses == [("replaced",), ("loaded",)]
    stored = json.loads(query(database, "select summary from raw.runs order by started_at desc limit 1")[0][0])
    assert stored["sources"] == changed["sources"] and changed["totals"]["rows_retracted"] > 0 and changed["changed"]


def test_a_relative_database_path_from_another_directory_is_the_same_database(
    capsys, source, database, tmp_path, monkeypatch
):
    """dlt resolved a relative DuckDB path against the first run's directory: the rows went elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 5))
    monkeypatch.chdir(elsewhere)
    load(capsys, database, str(source), "--as-of", "2025-03-15")

    write(source / "2025-03" / "b.csv", minimal_file("2025-03", 2))
    monkeypatch.chdir(database.parent)
    load(capsys, Path(database.name), str(source), "--as-of", "2025-03-15")

    assert loaded_rows(database) == 7
    assert list(elsewhere.iterdir()) == []


def test_deleted_file_is_retracted_but_months_outside_the_window_are_untouched(capsys, source, database):
    old = write(source / "2025-01" / "old.csv", minimal_file("2025-01", 4))
    recent = write(source / "2025-03" / "recent.csv", minimal_file("2025-03", 2))
    write(source / "2025-03" / "stays.csv", minimal_file("2025-03", 1))
    load(capsys, database, str(source), "--as-of", "2025-03-15")

    old.unlink()
    recent.unlink()
    summary = load(capsys, database, str(source), "--as-of", "2025-05-15")  # window now starts 2025-03

    assert summary["totals"]["files_deleted"] == 1
    assert loaded_rows(database, "recent.csv") == 0
    assert loaded_rows(database, "old.csv") == 4  # 2025-01 is outside the window: never touched
    assert query_statuses(database, "select key, status from file_statuses order by key") == [
        ("2025-01/old.csv", "loaded"), ("2025-03/recent.csv", "deleted"), ("2025-03/stays.csv", "loaded")
    ]


def test_reappearing_file_is_read_again(capsys, source, database):
    path = write(source / "2025-03" / "a.csv", minimal_file("2025-03", 2))
    content = path.read_bytes()
    load(capsys, database, str(source), "--as-of", "2025-03-15")
    path.unlink()
    load(capsys, database, str(source), "--as-of", "2025-03-15")
    assert loaded_rows(database) == 0

    write(path, content)
    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert summary["totals"]["files_new"] == 1
    assert loaded_rows(database) == 2


UNREADABLE = {
    "ragged.csv": (b"a,b\n1,2\n3\n", "a record has 1 fields where the header has 2 (ragged row)", 3),
    "quote.csv": (b'a,b\n1,2\n3,"4\n5,6\n', "a quoted value is never closed (unterminated quote)", 3),
    "latin1.csv": (b"a,b\n1,2\n3,caf\xe9\n", "not UTF-8 encoded: save the file as UTF-8", 3),
    "empty.csv": (b"", "empty file: no header line", 1),
    "dupe.csv": (b"a,b,a\n1,2,3\n", "duplicate column name: 'a' appears twice", 1),
    "case-dupe.csv": (b"BilledCost,billed_cost\n1,2\n", "duplicate column name: 'billed_cost' appears as "
                                                         "'BilledCost' and 'billed_cost'", 1),
    "blank-name.csv": (b"a,,b\n1,2,3\n", "column 2 of the header has an empty name", 1),
}


def test_unreadable_files_are_rejected_with_reason_and_line_while_good_files_load(capsys, source, database):
    write(source / "2025-03" / "good.csv", minimal_file("2025-03", 3))
    for name, (content, _, _) in UNREADABLE.items():
        write(source / "2025-03" / name, content)
    corrupt = b"\x1f\x8b" + os.urandom(64)
    write(source / "2025-03" / "corrupt.csv.gz.part", b"")  # ignored: not .csv/.csv.gz
    (source / "2025-03" / "corrupt.csv.gz").write_bytes(corrupt)

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert summary["totals"]["files_unreadable"] == len(UNREADABLE) + 1
    rejected = {
        key.removeprefix("2025-03/"): (error, line)
        for key, error, line in query_statuses(database, "select key, error, error_line from file_statuses "
                                                         "where status = 'rejected'")
    }
    for name, (_, reason, line) in UNREADABLE.items():
        assert rejected[name] == (reason, line), name
    assert rejected["corrupt.csv.gz"][0].startswith("corrupt or truncated gzip data")
    assert query(database, "select distinct _ingest_key from raw.focus_rows") == [("2025-03/good.csv",)]
    assert loaded_rows(database) == 3

    again = load(capsys, database, str(source), "--as-of", "2025-03-15")
    assert again["totals"]["objects_downloaded"] == 0  # a rejected version is not fetched again


def test_shared_samples_load_with_every_row_and_value_intact(capsys, source, database):
    shutil.copy(DOC_EXAMPLE, write(source / "2025-03" / "doc_example.csv", b""))
    shutil.copy(SAMPLE_1000, write(source / "2024-09" / "focus_sample_1000.csv", b""))

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15", "--backfill-from", "2024-09")

    assert summary["totals"]["rows_loaded"] == 1003
    for original, key in ((DOC_EXAMPLE, "2025-03/doc_example.csv"), (SAMPLE_1000, "2024-09/focus_sample_1000.csv")):
        header, records = csv_records(original)
        columns = ", ".join(f'"{column_key(name)}"' for name in header)
        stored = query(
            database,
            f"select {columns} from raw.focus_rows where _ingest_key = ? order by _ingest_row_number",
            [key],
        )
        assert [list(row) for row in stored] == records
        event_header = query_statuses(database, "select header from file_statuses where key = ?", [key])[0][0]
        assert event_header == str(header).replace("'", '"')
        positions = query(
            database, "select column_name, column_key from raw.file_columns where key = ? order by position", [key]
        )
        assert positions == [(name, column_key(name)) for name in header]
    assert query(database, "select provider from raw.focus_rows where _ingest_key like '%doc_example.csv' "
                           "order by _ingest_row_number") == [("Equinix",), ("Internal",), ("Vendor",)]


def _die_before_the_commit(patched: pytest.MonkeyPatch) -> None:
    """The process dies after every job of the package is in (rows, events, dlt's state), before dlt writes
    the package's row in raw._dlt_loads."""

    def die(*_: object) -> None:
        raise KeyboardInterrupt

    patched.setattr(SqlJobClientBase, "complete_load", die)


def test_run_killed_before_dlt_commits_is_finished_by_the_next_run(capsys, source, database, monkeypatch):
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 4))
    write(source / "2025-03" / "b.csv", minimal_file("2025-03", 6))

    with monkeypatch.context() as patched:
        _die_before_the_commit(patched)
        status, _, _ = run_cli(
            capsys, "load", "--source", str(source), "--database", str(database), "--as-of", "2025-03-15"
        )
    assert status != 0  # dlt reports the interruption as a failed load step
    assert loaded_rows(database) == 10  # rows and events landed, but nothing counts without the commit
    assert query(database, "select count(*) from raw.file_versions")[0][0] == 2
    assert file_statuses(database) == []

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert summary["changed"]  # the package was finished: its versions now count, so none is read again
    assert summary["totals"]["files_unchanged"] == 2 and summary["totals"]["objects_downloaded"] == 0
    assert loaded_rows(database) == 10
    assert query(database, "select count(distinct _dlt_load_id) from raw.focus_rows")[0][0] == 1
    assert [s["status"] for s in file_statuses(database)] == ["loaded", "loaded"]


def test_run_killed_before_dlt_commits_then_a_fresh_work_dir_reads_the_files_again(
    capsys, source, database, monkeypatch
):
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 4))
    write(source / "2025-03" / "b.csv", minimal_file("2025-03", 6))
    with monkeypatch.context() as patched:
        _die_before_the_commit(patched)
        run_cli(capsys, "load", "--source", str(source), "--database", str(database), "--as-of", "2025-03-15")
    shutil.rmtree(pipeline.work_dir_for(database))  # another machine: dlt's pending package is gone

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert summary["totals"]["files_new"] == 2  # the uncommitted load never counted
    assert summary["totals"]["rows_retracted"] == 10  # its rows, removed by the clean-up
    assert loaded_rows(database) == 10
    assert query(database, "select count(distinct _dlt_load_id) from raw.focus_rows")[0][0] == 1


def test_run_killed_while_reading_a_file_leaves_no_partial_file(capsys, source, database, monkeypatch):
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 4))
    write(source / "2025-03" / "b.csv", minimal_file("2025-03", 2500))
    real_batches = pipeline.CsvReader.batches

    def dies_in_b(self, path, names, lineage):
        for number, batch in enumerate(real_batches(self, path, names, lineage)):
            if lineage.key.endswith("b.csv") and number == 1:
                raise OSError("No space left on device")
            yield batch

    with monkeypatch.context() as patched:
        patched.setattr(pipeline.CsvReader, "batches", dies_in_b)
        patched.setattr(pipeline.CsvReader, "read_together", lambda *_: None)  # each file in a scan of its own
        status, out, _ = run_cli(
            capsys, "load", "--source", str(source), "--database", str(database), "--batch-rows", "1000",
            "--as-of", "2025-03-15",
        )
    assert status == 1  # the data source failed (its summary says why), not the run
    assert "FAILED: its load failed at dlt's extract step: OSError: No space left on device" in out
    assert "reads its files again" in out
    assert file_statuses(database) == []

    load(capsys, database, str(source), "--as-of", "2025-03-15")

    assert loaded_rows(database, "a.csv") == 4
    assert loaded_rows(database, "b.csv") == 2500
    assert query(database, "select count(*), count(distinct _ingest_row_number) from raw.focus_rows "
                           "where _ingest_key like '%b.csv'") == [(2500, 2500)]


def test_config_file_with_several_sources_and_one_bad_source(capsys, tmp_path, database):
    good = tmp_path / "datacenter"
    write(good / "2025-03" / "a.csv", minimal_file("2025-03", 2))
    saas = tmp_path / "saas"
    write(saas / "2025-02" / "b.csv.gz", minimal_file("2025-02", 3))
    config = write(
        tmp_path / "sources.toml",
        f"""
[run]
lookback_months = 2

[[sources]]
name = "datacenter"
location = "{good}"

[[sources]]
name = "saas"
location = "saas"
profile = "focus-1.0"

[[sources]]
name = "missing"
location = "{tmp_path / "nowhere"}"
""",
    )

    status, summary, err = run_cli(
        capsys, "load", "--config", str(config), "--database", str(database), "--as-of", "2025-03-15", "--json"
    )

    assert status == 1  # one source failed
    failed = {s["name"]: s["failed"] for s in summary["sources"]}
    assert failed["datacenter"] is None and failed["saas"] is None
    assert "does not exist" in failed["missing"]
    assert query(database, "select _ingest_data_source, count(*) from raw.focus_rows group by 1 order by 1") == [
        ("datacenter", 2), ("saas", 3)
    ]
    assert query(database, "select distinct data_source, profile from raw.data_sources order by 1") == [
        ("datacenter", "any"), ("saas", "focus-1.0")
    ]  # a source that failed changed nothing: it is recorded once it runs (no build for it alone)
    assert "Traceback" not in err


def test_status_shows_the_manifest_without_loading(capsys, source, database):
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 2))
    write(source / "2025-03" / "bad.csv", b"a,b\n1\n")
    load(capsys, database, str(source), "--as-of", "2025-03-15")
    write(source / "2025-03" / "new.csv", minimal_file("2025-03", 1))

    status, report, _ = run_cli(capsys, "status", "--database", str(database), "--json")

    assert status == 0
    assert {(m["status"], m["files"], m["rows"]) for m in report["months"]} == {("loaded", 1, 2), ("rejected", 1, 0)}
    assert report["last_run"]["finished_at"] is not None
    status, text, _ = run_cli(capsys, "status", "--database", str(database))
    assert "2025-03" in text and "rejected" in text


def test_config_errors_are_messages_not_tracebacks(capsys, tmp_path, database):
    status, _, err = run_cli(capsys, "load", "--database", str(database))
    assert status == 2 and "--source" in err

    status, _, err = run_cli(
        capsys, "load", "--source", str(tmp_path), "--backfill-from", "2025-3", "--database", str(database)
    )
    assert status == 2 and "--backfill-from '2025-3' is not a month" in err

    status, _, err = run_cli(capsys, "load", "--source", str(tmp_path), "--database", str(tmp_path / "marts.duckdb"))
    assert status == 2 and "choose another file name" in err

    bad = write(tmp_path / "bad.toml", "[[sources]]\nname = 'x'\n")
    status, _, err = run_cli(capsys, "load", "--config", str(bad), "--database", str(database))
    assert status == 2 and "[[sources]] #1 location: required" in err


def test_gzip_bomb_and_too_many_records_are_rejected_at_the_limits(capsys, source, database):
    bomb = write(source / "2025-03" / "bomb.csv.gz", "a,b\n" + "1,2\n" * 5_000_000)
    assert bomb.stat().st_size < 100_000
    write(source / "2025-03" / "long.csv", minimal_file("2025-03", 11))
    write(source / "2025-03" / "good.csv", minimal_file("2025-03", 10))

    summary = load(capsys, database, str(source), "--as-of", "2025-03-15",
                   "--max-file-bytes", "1000000", "--max-file-rows", "10")

    errors = dict(query_statuses(database, "select key, error from file_statuses where status = 'rejected'"))
    assert errors == {
        "2025-03/bomb.csv.gz": "uncompressed, the file exceeds the per-file limit of 1,000,000 bytes "
                               "(--max-file-bytes)",
        "2025-03/long.csv": "the file has more than 10 records, the per-file limit (--max-file-rows)",
    }
    assert summary["totals"]["rows_loaded"] == 10
    assert loaded_rows(database) == 10


def test_progress_is_a_status_line_on_a_terminal_and_log_lines_elsewhere(tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 30_000))
    write(source / "2025-03" / "b.csv", minimal_file("2025-03", 30_000))
    command = [sys.executable, "-c", "import sys; from focus_ingest import progress, cli; "
               "progress.INTERVAL_SECONDS = progress.TERMINAL_INTERVAL_SECONDS = 0; sys.exit(cli.main())",
               "load", "--source", str(source), "--as-of", "2025-03-15", "--batch-rows", "10000"]

    primary, secondary = pty.openpty()
    terminal = subprocess.run([*command, "--database", str(tmp_path / "t.duckdb")], stdin=secondary,
                              stdout=subprocess.DEVNULL, stderr=secondary, timeout=120, check=True)
    os.close(secondary)
    shown = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(primary, 65536):
            shown += chunk
    os.close(primary)
    assert terminal.returncode == 0
    assert b"\r\x1b[K[1/2] bucket:2025-03/a.csv:" in shown and b"[2/2] bucket:2025-03/b.csv:" in shown
    assert b"rows read" in shown

    piped = subprocess.run([*command, "--database", str(tmp_path / "p.duckdb")], capture_output=True,
                           timeout=120, check=True)
    assert b"\r" not in piped.stderr
    assert b"INFO [1/2] bucket:2025-03/a.csv: 10,000 rows read" in piped.stderr


def test_small_read_blocks_keep_every_record_in_order_and_reject_an_overlong_one(capsys, source, database):
    """Records cross DuckDB's read blocks many times here (750 kB in 64 kB blocks): none may be lost,
    split or reordered; a record longer than --max-record-bytes rejects its file with that reason."""
    shutil.copy(SAMPLE_1000, write(source / "2024-09" / "focus_sample_1000.csv", b""))
    overlong = MINIMAL_HEADER + f"1.00,USD,2024-09-01T00:00:00Z\n2.00,USD,\"{'x' * 20_000}\"\n"
    write(source / "2024-09" / "overlong.csv", overlong)

    summary = load(capsys, database, str(source), "--as-of", "2024-09-15",
                   "--read-block-bytes", "65536", "--max-record-bytes", "16384")

    assert summary["totals"]["rows_loaded"] == 1000
    header, records = csv_records(SAMPLE_1000)
    columns = ", ".join(f'"{column_key(name)}"' for name in header)
    stored = query(database, f"select {columns}, _ingest_row_number from raw.focus_rows order by _ingest_row_number")
    assert [list(row[:-1]) for row in stored] == records
    assert [row[-1] for row in stored] == list(range(1, 1001))
    assert query_statuses(database, "select error from file_statuses where status = 'rejected'") == [
        ("a record is longer than the limit of 16,384 bytes (--max-record-bytes)",)
    ]


def test_memory_and_read_block_settings_are_checked_before_anything_is_read(capsys, tmp_path, database):
    write(tmp_path / "2025-03" / "a.csv", minimal_file("2025-03", 2))
    base = ("load", "--source", str(tmp_path), "--database", str(database), "--as-of", "2025-03-15")

    status, _, err = run_cli(capsys, *base, "--memory-limit", "lots")
    assert status == 2 and "'lots' is not a size" in err
    status, _, err = run_cli(capsys, *base, "--memory-limit", "64MB")
    assert status == 2 and "--memory-limit 64MB cannot hold DuckDB's read blocks" in err
    status, _, err = run_cli(capsys, *base, "--read-block-bytes", "1048576")
    assert status == 2 and "must be at least the longest record accepted" in err
    assert not database.exists()


def test_running_out_of_memory_fails_the_run_and_rejects_no_file(capsys, source, database, monkeypatch):
    """Memory says nothing about the file: it must not be recorded as unreadable (never read again)."""
    monkeypatch.setattr(reading, "READ_BLOCKS_IN_MEMORY", 1)  # lets a limit below what DuckDB needs through
    write(source / "2025-03" / "big.csv", minimal_file("2025-03", 300_000))

    status, out, _ = run_cli(capsys, "load", "--source", str(source), "--database", str(database),
                             "--as-of", "2025-03-15", "--memory-limit", "2MiB", "--read-block-bytes", "2097152",
                             "--max-record-bytes", "1048576")

    assert status == 1  # the data source failed (its summary says why)
    assert "FAILED: its load failed at dlt's extract step: DuckDB ran out of memory while reading" in out
    assert "raise the first or lower the second. Nothing of this" in out
    assert file_statuses(database) == []
    assert load(capsys, database, str(source), "--as-of", "2025-03-15")["totals"]["rows_loaded"] == 300_000
