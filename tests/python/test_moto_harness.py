"""The harness must really isolate tests from AWS, count what reached the server and prove who signed it;
the loader's tests build their claims on these."""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from conftest import AssumableRole, MotoServer, RequestLog, S3TestBucket


def _error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _session(role: AssumableRole, **assume: str) -> boto3.Session:
    """A boto3 session on temporary credentials of ``role``, assumed with the environment's credentials."""
    credentials = boto3.client("sts").assume_role(RoleArn=role.role_arn, **assume)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def test_every_aws_endpoint_of_the_environment_is_the_local_server(moto_endpoint: str) -> None:
    assert moto_endpoint.startswith("http://127.0.0.1:")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM"):
        assert os.environ[name] == moto_endpoint
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert "AWS_PROFILE" not in os.environ
    # A client built the default way talks to the server and is one of its IAM users.
    caller = boto3.client("sts").get_caller_identity()
    assert caller["Arn"] == "arn:aws:iam::123456789012:user/focus-ingest-tests"
    assert boto3.client("s3").meta.endpoint_url == moto_endpoint


def test_bucket_helpers_store_what_a_plain_client_reads(s3_bucket: S3TestBucket, tmp_path: Path) -> None:
    assert len(s3_bucket.name) >= 3
    assert s3_bucket.uri() == f"s3://{s3_bucket.name}/"
    assert s3_bucket.uri("/exports/focus/") == f"s3://{s3_bucket.name}/exports/focus/"
    etag = s3_bucket.put("exports/2024-09/a.csv", "x,y\n1,2\n")
    assert etag == hashlib.md5(b"x,y\n1,2\n").hexdigest() == s3_bucket.etag("exports/2024-09/a.csv")
    source = tmp_path / "b.csv.gz"
    source.write_bytes(b"\x1f\x8bnot really gzip")
    assert s3_bucket.put_file("exports/2024-09/b.csv.gz", source) == hashlib.md5(source.read_bytes()).hexdigest()
    client = boto3.client("s3")
    assert client.get_object(Bucket=s3_bucket.name, Key="exports/2024-09/a.csv")["Body"].read() == b"x,y\n1,2\n"
    s3_bucket.delete("exports/2024-09/a.csv")
    listing = client.list_objects_v2(Bucket=s3_bucket.name)
    assert [item["Key"] for item in listing["Contents"]] == ["exports/2024-09/b.csv.gz"]


def test_a_rewritten_object_gets_a_new_etag(s3_bucket: S3TestBucket) -> None:
    first = s3_bucket.put("2024-09/a.csv", "a\n1\n")
    assert s3_bucket.put("2024-09/a.csv", "a\n1\n") == first
    assert s3_bucket.put("2024-09/a.csv", "a\n2\n") != first


def test_counter_counts_the_requests_that_reached_the_server(s3_bucket: S3TestBucket, s3_requests: RequestLog) -> None:
    for name in ("a", "b", "c"):
        s3_bucket.put(f"2024-09/{name}.csv", "x\n1\n")
    s3_requests.reset()
    client = boto3.client("s3")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=s3_bucket.name, PaginationConfig={"PageSize": 1})
    assert sum(len(page.get("Contents", [])) for page in pages) == 3
    client.get_object(Bucket=s3_bucket.name, Key="2024-09/a.csv")["Body"].read()
    client.get_object(Bucket=s3_bucket.name, Key="2024-09/b.csv")["Body"].read()
    client.head_object(Bucket=s3_bucket.name, Key="2024-09/c.csv")
    with pytest.raises(ClientError):
        client.get_object(Bucket=s3_bucket.name, Key="2024-09/missing.csv")
    # A request no boto3 client made is counted too: the count is taken at the server.
    url = client.generate_presigned_url("get_object", Params={"Bucket": s3_bucket.name, "Key": "2024-09/c.csv"})
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"x\n1\n"

    assert s3_requests() == {"ListObjectsV2": 3, "GetObject": 4, "HeadObject": 1}
    gets = s3_requests.entries("GetObject")
    assert [(entry.bucket, entry.key, entry.status) for entry in gets] == [
        (s3_bucket.name, "2024-09/a.csv", 200),
        (s3_bucket.name, "2024-09/b.csv", 200),
        (s3_bucket.name, "2024-09/missing.csv", 404),
        (s3_bucket.name, "2024-09/c.csv", 200),
    ]
    assert s3_requests.principals("GetObject") == {"arn:aws:iam::123456789012:user/focus-ingest-tests"}
    s3_requests.reset()
    assert s3_requests() == {}


def test_s3_requests_starts_empty_for_each_test(s3_bucket: S3TestBucket, s3_requests: RequestLog) -> None:
    # s3_bucket was created (CreateBucket) before s3_requests was set up, which empties the log.
    assert s3_requests() == {}
    s3_bucket.put("k", "v")
    assert s3_requests() == {"PutObject": 1}


def test_assumed_role_reads_the_bucket_and_its_requests_are_traced_to_the_session(
    s3_bucket: S3TestBucket, assumable_role: AssumableRole, s3_requests: RequestLog
) -> None:
    s3_bucket.put("2024-09/a.csv", "x\n1\n")
    s3_requests.reset()
    session = _session(assumable_role, RoleSessionName="focus-ingest-test", ExternalId=assumable_role.external_id)
    assert session.client("s3").get_object(Bucket=s3_bucket.name, Key="2024-09/a.csv")["Body"].read() == b"x\n1\n"

    assert s3_requests.principals("GetObject") == {f"{assumable_role.session_arn_prefix}focus-ingest-test"}
    [assume] = s3_requests.entries("AssumeRole", service="sts")
    assert assume.params["ExternalId"] == assumable_role.external_id
    assert assume.params["RoleSessionName"] == "focus-ingest-test"
    assert assume.params["RoleArn"] == assumable_role.role_arn


def test_without_enforcement_moto_accepts_any_external_id(assumable_role: AssumableRole) -> None:
    """Why the recorded AssumeRole (or ``iam_enforced``) is needed to prove the External ID was sent."""
    session = _session(assumable_role, RoleSessionName="focus-ingest-test", ExternalId="not-the-right-one")
    assert session.client("sts").get_caller_identity()["Arn"].startswith(assumable_role.session_arn_prefix)


def test_enforced_base_user_cannot_read_the_bucket(s3_bucket: S3TestBucket, iam_enforced: AssumableRole) -> None:
    s3_bucket.put("2024-09/a.csv", "x\n1\n")  # the harness's own credentials still work
    client = boto3.client("s3")  # the environment now holds the base user's keys
    with pytest.raises(ClientError) as listing:
        client.list_objects_v2(Bucket=s3_bucket.name)
    assert _error_code(listing) == "AccessDenied"
    with pytest.raises(ClientError) as download:
        client.get_object(Bucket=s3_bucket.name, Key="2024-09/a.csv")
    assert _error_code(download) == "AccessDenied"


def test_enforced_role_with_external_id_may_list_and_get_only(
    s3_bucket: S3TestBucket, iam_enforced: AssumableRole
) -> None:
    s3_bucket.put("2024-09/a.csv", "x\n1\n")
    client = _session(iam_enforced, RoleSessionName="focus-ingest", ExternalId=iam_enforced.external_id).client("s3")
    assert [item["Key"] for item in client.list_objects_v2(Bucket=s3_bucket.name)["Contents"]] == ["2024-09/a.csv"]
    assert client.get_object(Bucket=s3_bucket.name, Key="2024-09/a.csv")["Body"].read() == b"x\n1\n"
    with pytest.raises(ClientError) as upload:
        client.put_object(Bucket=s3_bucket.name, Key="2024-09/b.csv", Body=b"x\n")
    assert _error_code(upload) == "AccessDenied"


def test_enforced_wrong_external_id_is_denied(iam_enforced: AssumableRole) -> None:
    with pytest.raises(ClientError) as assume:
        _session(iam_enforced, RoleSessionName="focus-ingest", ExternalId="not-the-right-one")
    assert _error_code(assume) == "AccessDenied"


def test_enforced_missing_external_id_is_not_denied_by_moto(
    iam_enforced: AssumableRole, s3_requests: RequestLog
) -> None:
    """Pins a moto gap (moto/iam/policy_conditions.py, TrustCondition.verify_condition): if it is ever
    fixed, tests can rely on enforcement; until then they must check the recorded ExternalId."""
    _session(iam_enforced, RoleSessionName="focus-ingest")
    [assume] = s3_requests.entries("AssumeRole", service="sts")
    assert assume.status == 200
    assert "ExternalId" not in assume.params


def test_enforcement_is_switched_off_again(moto_server: MotoServer, s3_bucket: S3TestBucket) -> None:
    # Runs after the enforced tests above: without enforcement moto accepts any key, even an unknown one.
    client = boto3.client(
        "s3", aws_access_key_id="unknown-key", aws_secret_access_key="x", endpoint_url=moto_server.endpoint
    )
    assert client.list_objects_v2(Bucket=s3_bucket.name)["KeyCount"] == 0
