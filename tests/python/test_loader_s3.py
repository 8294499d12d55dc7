"""The import cycle against a real HTTP S3 + STS endpoint (moto's server on 127.0.0.1)."""

from __future__ import annotations

import gzip
import logging

import pytest
from loader_helpers import (
    DOC_EXAMPLE,
    SAMPLE_1000,
    csv_records,
    load,
    loaded_rows,
    minimal_file,
    query,
    query_statuses,
    run_cli,
)

from focus_ingest import progress, s3_access
from focus_ingest.reading import column_key
from focus_ingest.s3_access import SESSION_NAME

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

AS_OF = ("--as-of", "2025-03-15")


def test_role_with_external_id_is_assumed_and_used_for_every_request(capsys, tmp_path, s3_bucket, assumable_role,
                                                                    s3_requests):
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 3))
    database = tmp_path / "focus.duckdb"

    summary = load(
        capsys, database, s3_bucket.uri("focus"), *AS_OF,
        "--role-arn", assumable_role.role_arn, "--external-id", assumable_role.external_id,
    )

    assert summary["totals"]["rows_loaded"] == 3
    assume_calls = s3_requests.entries("AssumeRole", service="sts")
    assert len(assume_calls) == 1
    assert assume_calls[0].params["ExternalId"] == assumable_role.external_id
    assert assume_calls[0].params["RoleSessionName"] == SESSION_NAME
    for operation in ("ListObjectsV2", "GetObject"):
        principals = s3_requests.principals(operation)
        assert principals and all(p.startswith(assumable_role.session_arn_prefix) for p in principals), operation


def test_enforced_least_privilege_role_runs_and_base_credentials_get_guidance(capsys, tmp_path, s3_bucket,
                                                                              iam_enforced, s3_requests):
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 2))
    database = tmp_path / "focus.duckdb"
    s3_requests.reset()

    summary = load(
        capsys, database, s3_bucket.uri("focus"), *AS_OF,
        "--role-arn", iam_enforced.role_arn, "--external-id", iam_enforced.external_id,
    )
    assert summary["totals"]["rows_loaded"] == 2
    assert set(s3_requests()) == {"ListObjectsV2", "GetObject"}  # never a write, nor anything else

    status, out, err = run_cli(capsys, "load", "--source", s3_bucket.uri("focus"), "--database", str(database), *AS_OF)

    assert status == 1
    assert "Access denied to s3://" in out and "s3:ListBucket" in out
    assert f"s3:GetObject is allowed on arn:aws:s3:::{s3_bucket.name}/focus/*" in out
    assert "Traceback" not in out + err
    assert iam_enforced.secret_access_key not in out + err


def test_wrong_external_id_is_denied_with_what_to_check_and_no_secret(capsys, tmp_path, s3_bucket, iam_enforced):
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 2))
    wrong = "not-the-external-id"

    status, out, err = run_cli(
        capsys, "load", "--source", s3_bucket.uri("focus"), "--database", str(tmp_path / "f.duckdb"), *AS_OF,
        "--role-arn", iam_enforced.role_arn, "--external-id", wrong,
    )

    assert status == 1
    assert "Access denied" in out and "sts:AssumeRole" in out
    assert "External ID given matches the role's sts:ExternalId condition" in out
    assert wrong not in out + err
    assert "Traceback" not in out + err


def test_unchanged_rerun_downloads_nothing_changed_replaces_deleted_retracts(capsys, tmp_path, s3_bucket,
                                                                             s3_requests):
    database = tmp_path / "focus.duckdb"
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 4))
    s3_bucket.put("focus/2025-03/b.csv.gz", gzip.compress(minimal_file("2025-03", 5).encode()))
    s3_bucket.put("focus/2025-02/c.csv", minimal_file("2025-02", 6))
    load(capsys, database, s3_bucket.uri("focus"), *AS_OF)
    assert s3_requests()["GetObject"] == 3

    s3_requests.reset()
    again = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)
    assert s3_requests()["GetObject"] == 0
    assert again["totals"]["files_unchanged"] == 3 and again["totals"]["objects_downloaded"] == 0
    assert query_statuses(database, "select count(*) from file_statuses where status = 'loaded'")[0][0] == 3

    new_etag = s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 2, amount="7.50"))
    s3_bucket.delete("focus/2025-02/c.csv")
    s3_requests.reset()
    changed = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert s3_requests()["GetObject"] == 1
    assert [e.key for e in s3_requests.entries("GetObject")] == ["focus/2025-03/a.csv"]
    assert changed["totals"]["files_changed"] == 1 and changed["totals"]["files_deleted"] == 1
    assert query(database, "select _ingest_etag, billed_cost, count(*) from raw.focus_rows "
                           "where _ingest_key = 'focus/2025-03/a.csv' group by all") == [(new_etag, "7.50", 2)]
    assert loaded_rows(database, "c.csv") == 0
    assert loaded_rows(database) == 7


def test_listing_of_more_than_1000_keys_is_paginated(capsys, tmp_path, s3_bucket, s3_requests):
    for number in range(1000):
        s3_bucket.put(f"focus/2025-03/a-notes-{number:04d}.txt", b"x")
    s3_bucket.put("focus/2025-03/z-last.csv", minimal_file("2025-03", 2))
    s3_bucket.put("focus/2025-03/zz-last.csv.gz", gzip.compress(minimal_file("2025-03", 3).encode()))

    summary = load(capsys, tmp_path / "f.duckdb", s3_bucket.uri("focus"), *AS_OF)

    assert s3_requests()["ListObjectsV2"] == 2
    assert summary["totals"]["files_ignored"] == 1000
    assert summary["totals"]["files_new"] == 2
    assert summary["totals"]["rows_loaded"] == 5


def test_unreadable_object_beside_good_ones(capsys, tmp_path, s3_bucket):
    database = tmp_path / "f.duckdb"
    s3_bucket.put("focus/2025-03/good.csv", minimal_file("2025-03", 2))
    s3_bucket.put("focus/2025-03/broken.csv.gz", gzip.compress(minimal_file("2025-03", 50).encode())[:-30])
    s3_bucket.put("focus/2025-03/ragged.csv", "a,b\n1,2\n3,4,5\n")

    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    assert summary["totals"]["files_unreadable"] == 2
    errors = dict(query_statuses(database, "select key, error from file_statuses where status = 'rejected'"))
    assert errors["focus/2025-03/broken.csv.gz"].startswith("corrupt or truncated gzip data")
    assert errors["focus/2025-03/ragged.csv"] == "a record has 3 fields where the header has 2 (ragged row)"
    assert query(database, "select distinct _ingest_key from raw.focus_rows") == [("focus/2025-03/good.csv",)]


def test_shared_samples_from_s3_keep_every_value(capsys, tmp_path, s3_bucket):
    database = tmp_path / "f.duckdb"
    s3_bucket.put_file("exports/2025-03/doc_example.csv", DOC_EXAMPLE)
    s3_bucket.put("exports/2024-09/focus_sample_1000.csv.gz", gzip.compress(SAMPLE_1000.read_bytes()))

    summary = load(capsys, database, s3_bucket.uri("exports"), *AS_OF, "--backfill-from", "2024-09")

    assert summary["totals"]["rows_loaded"] == 1003
    for original, key in ((DOC_EXAMPLE, "exports/2025-03/doc_example.csv"),
                          (SAMPLE_1000, "exports/2024-09/focus_sample_1000.csv.gz")):
        header, records = csv_records(original)
        columns = ", ".join(f'"{column_key(name)}"' for name in header)
        stored = query(database, f"select {columns} from raw.focus_rows where _ingest_key = ? "
                                 "order by _ingest_row_number", [key])
        assert [list(row) for row in stored] == records
    assert query(database, "select distinct _ingest_etag = ? from raw.focus_rows where _ingest_key like '%doc%'",
                 [s3_bucket.etag("exports/2025-03/doc_example.csv")]) == [(True,)]


def test_missing_bucket_and_empty_prefix_are_clear_failures(capsys, tmp_path, s3_bucket):
    status, out, _ = run_cli(capsys, "load", "--source", "s3://no-such-bucket-here/x/", "--database",
                             str(tmp_path / "f.duckdb"), *AS_OF)
    assert status == 1 and "Bucket 'no-such-bucket-here' does not exist" in out

    status, out, _ = run_cli(capsys, "load", "--source", s3_bucket.uri("empty"), "--database",
                             str(tmp_path / "f.duckdb"), *AS_OF)
    assert status == 1 and "No billing periods found" in out and "Saw nothing" in out


def test_role_credentials_near_expiry_are_renewed_during_a_run(capsys, tmp_path, s3_bucket, assumable_role,
                                                               s3_requests, monkeypatch):
    # 15-minute sessions are inside botocore's refresh margin from the start, so each request renews them:
    # proof that long runs get fresh credentials instead of failing with ExpiredToken.
    monkeypatch.setattr(s3_access, "ROLE_SESSION_SECONDS", 900)
    for number in range(3):
        s3_bucket.put(f"focus/2025-03/{number}.csv", minimal_file("2025-03", 1))

    load(capsys, tmp_path / "f.duckdb", s3_bucket.uri("focus"), *AS_OF,
         "--role-arn", assumable_role.role_arn, "--external-id", assumable_role.external_id)

    assert len(s3_requests.entries("AssumeRole", service="sts")) > 1
    assert all(p.startswith(assumable_role.session_arn_prefix) for p in s3_requests.principals("GetObject"))


def test_progress_is_logged_and_secrets_never_are_in_logs_output_or_database(
    capsys, caplog, tmp_path, s3_bucket, assumable_role, monkeypatch
):
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0.0)
    s3_bucket.put("focus/2025-03/big.csv", minimal_file("2025-03", 3000))
    caplog.set_level(logging.DEBUG)

    status, out, err = run_cli(
        capsys, "load", "--source", s3_bucket.uri("focus"), "--database", str(tmp_path / "f.duckdb"), *AS_OF,
        "--role-arn", assumable_role.role_arn, "--external-id", assumable_role.external_id,
        "--batch-rows", "1000", "--verbose",
    )

    assert status == 0
    progress_lines = [r.getMessage() for r in caplog.records if r.name == "focus_ingest.progress"]
    assert any("rows read" in line for line in progress_lines)
    stored = "\n".join(
        str(row) for table in ("file_versions", "file_columns", "data_sources", "runs", "focus_rows", "_dlt_loads",
                               "_dlt_pipeline_state", "_dlt_version")
        for row in query(tmp_path / "f.duckdb", f"select * from raw.{table}")
    )  # fmt: skip
    everything = stored + out + err + "\n".join(r.getMessage() for r in caplog.records)
    assert assumable_role.external_id not in everything
    assert assumable_role.secret_access_key not in everything


def test_unknown_credentials_are_refused_with_what_to_check(capsys, tmp_path, s3_bucket, iam_enforced, monkeypatch):
    s3_bucket.put("focus/2025-03/a.csv", minimal_file("2025-03", 2))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret-key")

    status, out, err = run_cli(capsys, "load", "--source", s3_bucket.uri("focus"), "--database",
                               str(tmp_path / "f.duckdb"), *AS_OF)

    assert status == 1
    assert "The AWS credentials were refused" in out and "AWS_PROFILE / AWS_ACCESS_KEY_ID" in out
    assert "not-a-real-secret-key" not in out + err
    assert "Traceback" not in out + err


def test_odd_keys_are_read_or_ignored_with_a_reason(capsys, tmp_path, s3_bucket):
    database = tmp_path / "f.duckdb"
    s3_bucket.put("focus/2025-03/../escape.csv", minimal_file("2025-03", 1))
    s3_bucket.put("focus/2025-03/Café costs März.CSV.GZ", gzip.compress(minimal_file("2025-03", 2).encode()))
    s3_bucket.put("focus/2025-03/a..b.csv", minimal_file("2025-03", 3))

    summary = load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    reasons = {entry["key"]: entry["reason"] for entry in summary["sources"][0]["ignored"]}
    assert reasons["focus/2025-03/../escape.csv"].startswith("nested too deep")
    assert dict(query(database, "select _ingest_key, count(*) from raw.focus_rows group by 1")) == {
        "focus/2025-03/Café costs März.CSV.GZ": 2, "focus/2025-03/a..b.csv": 3
    }


@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T16:54:15.000Z",  # ListObjectsV2's LastModified
        "2026-12-01T16:54:15.123456+00:00",
        "Tue, 01 Dec 2026 16:54:15 GMT",  # GetObject's Last-Modified header
        "Tue, 01 Dec 2026 16:54:15 -0000",
        "1764608055",  # epoch seconds: botocore's own parser
        "1764608055.5",
    ],
)
def test_fast_timestamps_equal_botocores_own_parse(value):
    from botocore.utils import parse_timestamp

    parsed = s3_access._fast_timestamp(value)
    assert parsed == parse_timestamp(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0


def test_manifest_last_modified_is_the_listing_s(capsys, tmp_path, s3_bucket):
    key = "focus/2025-03/a.csv"
    s3_bucket.put(key, minimal_file("2025-03", 3))
    database = tmp_path / "focus.duckdb"
    load(capsys, database, s3_bucket.uri("focus"), *AS_OF)

    listed = s3_bucket.client.list_objects_v2(Bucket=s3_bucket.name, Prefix="focus/")["Contents"]
    (stored,) = query_statuses(database, "select last_modified from file_statuses where key = ?", [key])
    assert stored[0] == listed[0]["LastModified"]
