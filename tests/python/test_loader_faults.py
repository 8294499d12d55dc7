"""S3 faults: throttling, server errors, connections reset mid-body, objects overwritten while read.

Each fault is injected by the moto server itself (tests/python/conftest.py, `s3_faults`); the loader sees
real HTTP failures. Whatever happens, a file is either loaded whole or left for the next run.
"""

from __future__ import annotations

import pytest
from conftest import Fault
from loader_helpers import load, loaded_rows, minimal_file, query, query_statuses

from focus_ingest import s3_access

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

AS_OF = ("--as-of", "2025-03-15")


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(s3_access, "REQUEST_ATTEMPTS", 3)
    monkeypatch.setattr(s3_access, "RETRY_MODE", "standard")  # adaptive rate limiting would slow the tests
    monkeypatch.setattr(s3_access, "DOWNLOAD_BACKOFF_SECONDS", 0.01)


@pytest.mark.parametrize("kind", ["slowdown", "internal", "reset"])
def test_a_few_failures_are_retried_within_the_run(capsys, tmp_path, s3_bucket, s3_requests, s3_faults, kind):
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 2000))
    s3_faults.add(Fault("GetObject", "focus/2025-03/a.csv", kind, times=2))

    summary = load(capsys, tmp_path / "f.duckdb", s3_bucket.uri("focus"), *AS_OF)

    assert summary["totals"]["rows_loaded"] == 2000
    assert summary["totals"]["files_retry"] == 0
    assert s3_requests()["GetObject"] == 3
    assert loaded_rows(tmp_path / "f.duckdb") == 2000


@pytest.mark.parametrize("kind", ["slowdown", "reset"])
def test_a_file_that_keeps_failing_is_left_for_the_next_run_and_never_half_loaded(
    capsys, tmp_path, s3_bucket, s3_faults, kind
):
    database = tmp_path / "f.duckdb"
    s3_bucket.put("focus/2025-03/good.csv", minimal_file("2025-03", 3))
    s3_bucket.put("focus/2025-03/flaky.csv", minimal_file("2025-03", 2000))
    s3_faults.add(Fault("GetObject", "focus/2025-03/flaky.csv", kind, times=100))

    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert summary["totals"]["files_retry"] == 1
    assert summary["sources"][0]["retry"][0]["key"] == "focus/2025-03/flaky.csv"
    assert loaded_rows(database, "flaky.csv") == 0
    assert query_statuses(database, "select key from file_statuses") == [("focus/2025-03/good.csv",)]

    s3_faults.clear()
    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert summary["totals"]["files_new"] == 1 and summary["totals"]["files_unchanged"] == 1
    assert loaded_rows(database, "flaky.csv") == 2000


def test_object_overwritten_while_read_is_caught_by_the_etag_precondition(capsys, tmp_path, s3_bucket, s3_faults):
    database = tmp_path / "f.duckdb"
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 5))
    s3_faults.add(Fault("GetObject", "focus/2025-03/a.csv", "overwrite",
                        replacement=minimal_file("2025-03", 7, amount="2.00").encode()))

    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert summary["totals"]["files_retry"] == 1
    assert "overwritten while this run read it" in summary["sources"][0]["retry"][0]["reason"]
    assert loaded_rows(database) == 0

    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert summary["totals"]["rows_loaded"] == 7
    assert query(database, "select distinct billed_cost, _ingest_etag from raw.focus_rows") == [
        ("2.00", s3_bucket.etag("focus/2025-03/a.csv"))
    ]
