"""Many small files: consecutive files with one header are read in one DuckDB scan (loader/focus_ingest/pipeline.py).

What a run stores must not depend on that: a scan of several files gives exactly the rows, lineage,
row numbers and outcomes of one scan per file, and a bad file among them is rejected alone, with its line.
"""

from __future__ import annotations

import gzip

import pytest
from loader_helpers import MINIMAL_HEADER, load, minimal_file, query, query_statuses, write

from focus_ingest import pipeline

AS_OF = ("--as-of", "2025-03-15")


def _raw_content(database) -> list[tuple]:
    rows = query(database, "select _ingest_key, _ingest_etag, _ingest_row_number, billed_cost, billing_currency, "
                           "charge_period_start from raw.focus_rows order by all")  # fmt: skip
    statuses = query_statuses(
        database, "select key, etag, status, row_count, error, error_line from file_statuses order by all"
    )
    return rows + [("status", *entry) for entry in statuses]


@pytest.fixture
def mixed_folder(tmp_path):
    """61 small files: mostly good, with a ragged row, an unterminated quote, another header, gzip, header-only."""
    source = tmp_path / "bucket"
    for number in range(60):
        month = ("2025-02", "2025-03")[number % 2]
        rows = [f"{number}.{row:02d},USD,{month}-01T00:00:00Z\n" for row in range(1 + number % 5)]
        text = MINIMAL_HEADER + "".join(rows)
        write(source / month / f"part-{number:03d}.csv", text)
    write(source / "2025-03" / "part-011.csv", minimal_file("2025-03", 4) + "1.00,USD\n")  # ragged, line 6
    write(source / "2025-03" / "part-021.csv", minimal_file("2025-03", 2) + '"2.00,USD,2025-03-01\n')  # never closed
    write(source / "2025-03" / "part-031.csv", "BillingCurrency,BilledCost,ChargePeriodStart\nEUR,3.00,2025-03-02\n")
    write(source / "2025-03" / "part-041.csv.gz", minimal_file("2025-03", 3, amount="4.00"))
    write(source / "2025-02" / "part-050.csv", MINIMAL_HEADER)
    return source


def test_a_scan_of_many_files_stores_what_one_scan_per_file_stores(capsys, tmp_path, mixed_folder, monkeypatch):
    together = tmp_path / "together.duckdb"
    scans = []
    real = pipeline.CsvReader.read_together

    def counted(self, files, names):
        scans.append(len(files))
        return real(self, files, names)

    monkeypatch.setattr(pipeline.CsvReader, "read_together", counted)
    summary = load(capsys, together, str(mixed_folder), *AS_OF)
    monkeypatch.setattr(pipeline.CsvReader, "read_together", lambda *_: None)
    alone = tmp_path / "alone.duckdb"
    load(capsys, alone, str(mixed_folder), *AS_OF)

    assert max(scans) > 10  # files were read together
    assert _raw_content(together) == _raw_content(alone)
    unreadable = {entry["key"]: (entry["reason"], entry["line"]) for entry in summary["sources"][0]["unreadable"]}
    assert unreadable == {
        "2025-03/part-011.csv": ("a record has 2 fields where the header has 3 (ragged row)", 6),
        "2025-03/part-021.csv": ("a quoted value is never closed (unterminated quote)", 4),
    }
    assert summary["totals"]["files_new"] == 61 and summary["totals"]["files_unreadable"] == 2
    assert query(together, "select billed_cost, billing_currency from raw.focus_rows "
                           "where _ingest_key = '2025-03/part-031.csv'") == [("3.00", "EUR")]  # fmt: skip
    assert query(together, "select count(*) from raw.focus_rows where _ingest_key like '%part-041.csv.gz'") == [(3,)]
    assert query_statuses(
        together, "select status, row_count from file_statuses where key = '2025-02/part-050.csv'"
    ) == [("loaded", 0)]


def test_the_per_file_row_limit_holds_for_files_read_together(capsys, tmp_path):
    source = tmp_path / "bucket"
    for number in range(10):
        write(source / "2025-03" / f"part-{number}.csv", minimal_file("2025-03", 5 if number == 4 else 3))
    database = tmp_path / "f.duckdb"

    summary = load(capsys, database, str(source), *AS_OF, "--max-file-rows", "4")

    reason = "the file has more than 4 records, the per-file limit (--max-file-rows)"
    assert summary["sources"][0]["unreadable"] == [{"key": "2025-03/part-4.csv", "reason": reason, "line": None}]
    assert summary["totals"]["rows_loaded"] == 27
    assert query(database, "select count(*) from raw.focus_rows where _ingest_key like '%part-4.csv'") == [(0,)]


def test_a_gzip_bomb_among_small_files_is_rejected_alone(capsys, tmp_path):
    source = tmp_path / "bucket"
    for number in range(6):
        write(source / "2025-03" / f"part-{number}.csv", minimal_file("2025-03", 3))
    (source / "2025-03" / "part-3.csv.gz").write_bytes(gzip.compress(MINIMAL_HEADER.encode() + b"0" * 5_000_000))
    database = tmp_path / "f.duckdb"

    summary = load(capsys, database, str(source), *AS_OF, "--max-file-bytes", "1000000")

    assert [entry["key"] for entry in summary["sources"][0]["unreadable"]] == ["2025-03/part-3.csv.gz"]
    assert "per-file limit of 1,000,000 bytes" in summary["sources"][0]["unreadable"][0]["reason"]
    assert summary["totals"]["rows_loaded"] == 18


def test_downloads_left_by_a_killed_run_are_deleted_by_the_next_run(capsys, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv.gz", minimal_file("2025-03", 3))
    database = tmp_path / "f.duckdb"
    downloads = tmp_path / ".focus-ingest" / "f.duckdb" / "downloads"
    downloads.mkdir(parents=True)
    (downloads / "tmpkilled.csv").write_text(minimal_file("2025-03", 1))

    assert load(capsys, database, str(source), *AS_OF)["totals"]["rows_loaded"] == 3
    assert list(downloads.iterdir()) == []
