"""Downloads from S3 overlap (a bounded pool), while reading and the manifest stay exact and in order.

The moto server delays every GetObject by a fixed latency (tests/python/conftest.py, `delay_gets`) and
counts the GetObject requests it holds at once: concurrency is asserted on what reached the server, never
on elapsed time (the elapsed time is logged as a figure only).
"""

from __future__ import annotations

import logging
import time

import pytest
from conftest import Fault
from loader_helpers import load, loaded_rows, minimal_file, query, query_statuses, run_cli

from focus_ingest import s3_access

pytestmark = pytest.mark.slow  # whole loads against moto with injected latency: `make test-fast` leaves it out

AS_OF = ("--as-of", "2025-03-15")
LATENCY_SECONDS = 0.1
logger = logging.getLogger(__name__)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(s3_access, "REQUEST_ATTEMPTS", 3)
    monkeypatch.setattr(s3_access, "RETRY_MODE", "standard")  # adaptive rate limiting would slow the tests
    monkeypatch.setattr(s3_access, "DOWNLOAD_BACKOFF_SECONDS", 0.01)


def _put_files(bucket, count: int) -> dict[str, str]:
    """`count` small files over two months; returns key -> ETag."""
    etags = {}
    for number in range(count):
        month = ("2025-02", "2025-03")[number % 2]
        key = f"focus/{month}/part-{number:03d}.csv"
        etags[key] = bucket.put(key, minimal_file(month, 3 + number % 4, amount=f"{number}.01"))
    return etags


@pytest.mark.parametrize("bound", [1, 4, 16])
def test_downloads_overlap_up_to_the_bound_and_every_file_is_loaded_exactly(
    capsys, tmp_path, s3_bucket, s3_requests, s3_faults, bound
):
    files = 32
    etags = _put_files(s3_bucket, files)
    s3_faults.delay_gets(LATENCY_SECONDS)
    database = tmp_path / "f.duckdb"

    started = time.monotonic()
    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF, "--max-concurrent-fetches", str(bound))
    seconds = time.monotonic() - started
    logger.info("%d files, %.2f s latency, bound %d: %.2f s (sequential latency alone: %.1f s)",
                files, LATENCY_SECONDS, bound, seconds, files * LATENCY_SECONDS)  # fmt: skip

    if bound == 1:
        assert s3_faults.max_gets_in_flight == 1
    else:
        assert 1 < s3_faults.max_gets_in_flight <= bound
    assert s3_requests()["GetObject"] == files
    assert summary["totals"]["files_new"] == files
    assert summary["totals"]["rows_loaded"] == sum(3 + number % 4 for number in range(files))
    stored = query(database, "select _ingest_key, _ingest_etag, count(*), max(_ingest_row_number), "
                             "min(billed_cost) from raw.focus_rows group by all order by 1")  # fmt: skip
    assert stored == [
        (key, etags[key], 3 + number % 4, 3 + number % 4, f"{number}.01")
        for number, key in sorted(enumerate(etags), key=lambda pair: pair[1])
    ]
    assert query_statuses(database, "select key, etag, row_count from file_statuses order by key") == [
        (key, etags[key], 3 + number % 4) for number, key in sorted(enumerate(etags), key=lambda pair: pair[1])
    ]


def test_under_concurrency_a_bad_file_a_throttled_one_and_an_overwritten_one_each_get_their_own_outcome(
    capsys, tmp_path, s3_bucket, s3_requests, s3_faults
):
    etags = _put_files(s3_bucket, 20)
    bad = "focus/2025-03/part-007.csv"
    s3_bucket.put(bad, minimal_file("2025-03", 5) + "1.00,USD\n")  # ragged row at line 7
    throttled, flaky = "focus/2025-02/part-004.csv", "focus/2025-03/part-011.csv"
    overwritten = "focus/2025-02/part-012.csv"
    s3_faults.add(Fault("GetObject", throttled, "slowdown", times=2))
    s3_faults.add(Fault("GetObject", flaky, "reset", times=100))
    s3_faults.add(Fault("GetObject", overwritten, "overwrite", replacement=minimal_file("2025-02", 9).encode()))
    s3_faults.delay_gets(LATENCY_SECONDS)
    database = tmp_path / "f.duckdb"

    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert s3_faults.max_gets_in_flight > 1
    totals = summary["totals"]
    assert (totals["files_new"], totals["files_unreadable"], totals["files_retry"]) == (18, 1, 2)
    assert summary["sources"][0]["unreadable"] == [
        {"key": bad, "reason": "a record has 2 fields where the header has 3 (ragged row)", "line": 7}
    ]
    assert {entry["key"] for entry in summary["sources"][0]["retry"]} == {flaky, overwritten}
    assert loaded_rows(database, "part-007.csv") == 0
    assert loaded_rows(database, "part-011.csv") == 0 and loaded_rows(database, "part-012.csv") == 0
    assert loaded_rows(database, "part-004.csv") == 3 + 4 % 4  # retried after SlowDown within the run
    loaded = {key for key, etag in etags.items() if key not in {bad, flaky, overwritten}}
    current = query_statuses(database, "select key, etag from file_statuses where status = 'loaded' order by key")
    assert current == sorted((key, etags[key]) for key in loaded)

    s3_faults.clear()
    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert (summary["totals"]["files_new"], summary["totals"]["files_unchanged"]) == (2, 18)
    assert loaded_rows(database, "part-011.csv") == 3 + 11 % 4
    assert loaded_rows(database, "part-012.csv") == 9


def test_access_denied_midway_stops_the_source_and_leaves_no_download_behind(
    capsys, tmp_path, s3_bucket, s3_faults, monkeypatch
):
    _put_files(s3_bucket, 12)
    s3_faults.delay_gets(LATENCY_SECONDS)
    real = s3_access.S3Store._download

    def denied_for_one(self, item, local, on_progress):
        if item.key.endswith("part-005.csv"):
            raise s3_access.SourceError("Access denied (injected)")
        return real(self, item, local, on_progress)

    monkeypatch.setattr(s3_access.S3Store, "_download", denied_for_one)
    database = tmp_path / "f.duckdb"

    status, summary, _ = run_cli(capsys, "load", "--source", s3_bucket.uri("focus"), "--database", str(database),
                                 "--json", *AS_OF)  # fmt: skip

    assert status == 1
    assert summary["sources"][0]["failed"] == "Access denied (injected)"
    downloads = tmp_path / ".focus-ingest" / "f.duckdb" / "downloads"
    assert list(downloads.iterdir()) == []


def test_a_bound_below_one_is_a_usage_error(capsys, tmp_path, s3_bucket):
    status, _, err = run_cli(capsys, "load", "--source", s3_bucket.uri("focus"), "--database",
                             str(tmp_path / "f.duckdb"), "--max-concurrent-fetches", "0")  # fmt: skip

    assert status == 2
    assert "argument --max-concurrent-fetches: '0': give 1 or more" in err
    assert "Traceback" not in err
