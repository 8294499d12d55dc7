"""Test harness: a real S3 + STS + IAM endpoint (moto's server on 127.0.0.1) and helpers around it.

Every test runs with fake credentials and every AWS endpoint pointed at that server, so no test can reach
AWS or pick up a developer's own credentials, whatever client the code under test builds. Requests are
observed where they arrive (in front of the server's WSGI app), not in boto3: the loader makes its own
clients, and what counts is what reached the server.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.request import Request as MotoRequest
from moto.core.routing import get_service_router
from moto.iam.models import iam_backends
from moto.server import ThreadedMotoServer
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException

REGION = "us-east-1"
PARTITION = "aws"
_SIGV4_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/[^/]+/([^/]+)/aws4_request")
_SIGV2_KEY = re.compile(r"AWS ([^:\s]+):")
_ALLOW_EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the moto server received it."""

    service: str  # s3, sts, iam (SigV4 credential scope); S3 also for SigV2 and anonymous; moto-api
    operation: str  # botocore operation name: GetObject, ListObjectsV2, HeadObject, AssumeRole, ...
    method: str
    path: str
    status: int  # HTTP status the server answered with
    access_key_id: str  # who signed it (SigV4 or SigV2); "" when unsigned
    bucket: str = ""  # S3 only
    key: str = ""  # S3 only
    params: Mapping[str, str] = field(default_factory=dict)  # form parameters of STS/IAM calls


def principal_arn(access_key_id: str) -> str:
    """ARN of whoever owns ``access_key_id`` in moto: an assumed-role session or an IAM user.

    Moto keeps every AssumeRole session with its temporary key (moto/sts/models.py, ``assumed_roles``), so a
    request can be traced to the role and session name that signed it.
    """
    assumed = sts_backends[DEFAULT_ACCOUNT_ID][PARTITION].get_assumed_role_from_access_key(access_key_id)
    if assumed:
        return assumed.arn
    user = iam_backends[DEFAULT_ACCOUNT_ID][PARTITION].get_user_from_access_key_id(access_key_id)
    return user.arn if user else f"unknown access key {access_key_id}"


class RequestLog:
    """Every request the server received since the last ``reset()``; thread-safe (the server is threaded).

    ``log()`` returns the S3 requests counted by operation, e.g. ``log()["GetObject"]``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(self, operation: str | None = None, *, service: str = "s3") -> list[RecordedRequest]:
        with self._lock:
            return [
                entry for entry in self._entries if entry.service == service and operation in (None, entry.operation)
            ]

    def __call__(self, service: str = "s3") -> Counter[str]:
        return Counter(entry.operation for entry in self.entries(service=service))

    def principals(self, operation: str, *, service: str = "s3") -> set[str]:
        """ARNs of the identities that signed the ``operation`` requests (see ``principal_arn``)."""
        return {principal_arn(entry.access_key_id) for entry in self.entries(operation, service=service)}


def _s3_operation(environ: dict[str, Any]) -> tuple[str, str, str]:
    """(operation, bucket, key) of a path-style S3 request, matched by moto's own botocore-model router."""
    # shallow=True: the router must not consume the body that moto reads next.
    request = MotoRequest(environ, populate_request=False, shallow=True)
    try:
        operation, uri_params = get_service_router("s3").match(request)
    except HTTPException:
        return "Unknown", "", ""
    return operation.name, uri_params.get("Bucket", ""), uri_params.get("Key", "")


def _form_params(environ: dict[str, Any]) -> dict[str, str]:
    """Parameters of a query-protocol call (STS, IAM); the body is buffered and put back for moto."""
    params = {name: values[0] for name, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        params.update({name: values[0] for name, values in parse_qs(body.decode()).items()})
    return params


def _signer_and_service(environ: dict[str, Any]) -> tuple[str, str]:
    """(access key id, service) of a request, the way moto routes it on an IP address."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    sigv4 = _SIGV4_SCOPE.search(authorization or "Credential=" + query.get("X-Amz-Credential", [""])[0])
    if sigv4:
        return sigv4.group(1), sigv4.group(2)
    if environ.get("PATH_INFO", "").startswith("/moto-api/"):
        return "", "moto-api"
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return "", ""  # an unsigned query-protocol call (e.g. AssumeRoleWithWebIdentity)
    # Moto takes anything else for S3 (moto_server/werkzeug_app.py, DEFAULT_SERVICE_REGION): SigV2
    # ("AWS key:signature" or a presigned ?AWSAccessKeyId= URL) or anonymous.
    sigv2 = _SIGV2_KEY.match(authorization)
    return (sigv2.group(1) if sigv2 else query.get("AWSAccessKeyId", [""])[0]), "s3"


class _RecordingApp:
    """WSGI middleware in front of moto's app: records each request with the status it got."""

    def __init__(self, app: WsgiApp, log: RequestLog) -> None:
        self._app = app
        self._log = log

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        access_key_id, service = _signer_and_service(environ)
        bucket = key = ""
        params: dict[str, str] = {}
        if service == "s3":
            operation, bucket, key = _s3_operation(environ)
        else:
            params = _form_params(environ)
            operation = params.get("Action", "")
        status = 0

        def recording_start_response(status_line: str, *args: Any) -> Any:
            nonlocal status
            status = int(status_line.split()[0])
            return start_response(status_line, *args)

        try:
            return self._app(environ, recording_start_response)
        finally:
            self._log.record(
                RecordedRequest(
                    service, operation, environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), status,
                    access_key_id, bucket, key, params,
                )
            )  # fmt: skip


@dataclass
class Fault:
    """A failure the server injects into the next ``times`` matching S3 requests."""

    operation: str  # GetObject, ListObjectsV2, ...
    key: str  # "" matches any key
    kind: str  # "slowdown" (503 SlowDown), "internal" (500), "reset" (half the body, then the connection drops)
    times: int = 1
    replacement: bytes = b""  # kind "overwrite": the object is rewritten with this just before it is served


_ERROR_RESPONSES = {
    "slowdown": ("503 Slow Down", "SlowDown", "Please reduce your request rate."),
    "internal": ("500 Internal Server Error", "InternalError", "We encountered an internal error."),
}


class FaultPlan:
    """Faults the server will inject; thread-safe. ``add(...)``, and ``clear()`` (done after every test).

    ``delay_gets(seconds)`` makes every GetObject wait that long before it is served, like the latency of
    a real endpoint; ``max_gets_in_flight`` is the most GetObject requests the server held at one time
    (counted whether or not they are delayed; with a delay, overlapping downloads show as more than 1).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.overwrite: Callable[[str, str, bytes], None] | None = None
        self.get_latency_seconds = 0.0
        self._gets_in_flight = 0
        self.max_gets_in_flight = 0

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def delay_gets(self, seconds: float) -> None:
        with self._lock:
            self.get_latency_seconds = seconds
            self.max_gets_in_flight = 0

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.get_latency_seconds = 0.0
            self.max_gets_in_flight = 0

    @contextlib.contextmanager
    def get_in_flight(self) -> Iterator[float]:
        """Count one GetObject as held by the server for the duration; yields the latency to inject."""
        with self._lock:
            self._gets_in_flight += 1
            self.max_gets_in_flight = max(self.max_gets_in_flight, self._gets_in_flight)
            latency = self.get_latency_seconds
        try:
            yield latency
        finally:
            with self._lock:
                self._gets_in_flight -= 1

    def take(self, operation: str, key: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.operation == operation and fault.key in ("", key):
                    fault.times -= 1
                    return fault
        return None


class _FaultInjectingApp:
    """WSGI middleware that makes S3 requests fail the way a real endpoint sometimes does."""

    def __init__(self, app: WsgiApp, plan: FaultPlan) -> None:
        self._app = app
        self._plan = plan

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _signer_and_service(environ)[1] != "s3":
            return self._app(environ, start_response)
        operation, bucket, key = _s3_operation(environ)
        if operation != "GetObject":
            return self._faulty(operation, bucket, key, environ, start_response)
        with self._plan.get_in_flight() as latency:  # in flight while delayed and answered (not while sent)
            time.sleep(latency)
            return self._faulty(operation, bucket, key, environ, start_response)

    def _faulty(
        self, operation: str, bucket: str, key: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        fault = self._plan.take(operation, key)
        if fault is None:
            return self._app(environ, start_response)
        if fault.kind in _ERROR_RESPONSES:
            status_line, code, message = _ERROR_RESPONSES[fault.kind]
            body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
            start_response(status_line, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
            return [body]
        if fault.kind == "overwrite":
            assert self._plan.overwrite is not None
            self._plan.overwrite(bucket, key, fault.replacement)
            return self._app(environ, start_response)
        if fault.kind == "reset":
            captured: dict[str, Any] = {}

            def capture(status_line: str, headers: list[tuple[str, str]], *_: Any) -> Callable[[bytes], None]:
                captured.update(status=status_line, headers=headers)
                return lambda _data: None

            body = b"".join(self._app(environ, capture))
            start_response(captured["status"], captured["headers"])  # announces the whole length

            def half_then_reset() -> Iterator[bytes]:
                yield body[: len(body) // 2]
                raise ConnectionResetError("injected by the test harness: connection reset mid-body")

            return half_then_reset()
        raise ValueError(f"unknown fault kind {fault.kind!r}")


@dataclass(frozen=True)
class MotoServer:
    """The session's moto server: where it listens, what it received, and the harness's own keys."""

    endpoint: str
    requests: RequestLog
    faults: FaultPlan
    access_key_id: str  # an IAM user allowed everything: the harness's own calls and the default identity
    secret_access_key: str

    def client(self, service: str) -> Any:
        """A boto3 client with the harness's own credentials, which work whether IAM is enforced or not."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def set_initial_no_auth_action_count(self, count: str) -> str:
        """Moto's IAM enforcement switch (``inf`` = off, ``0`` = every request checked); returns the old value."""
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=count.encode(),
            headers={"Content-Type": "text/plain"},  # moto reads the raw body; a form body would come out empty
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.load(response)["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])


def _isolate_aws_environment(patch: pytest.MonkeyPatch, endpoint: str, empty_dir: Path) -> None:
    """Credentials, region and endpoints for every AWS client the code under test may build."""
    for name in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ):  # fmt: skip
        patch.delenv(name, raising=False)
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", REGION)
    patch.setenv("AWS_REGION", REGION)
    # No shared config or credentials files, no instance metadata: only the environment counts.
    patch.setenv("AWS_CONFIG_FILE", str(empty_dir / "config"))
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty_dir / "credentials"))
    patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM"):
        patch.setenv(name, endpoint)
    # A proxy from the environment must not see loopback traffic.
    for name in ("NO_PROXY", "no_proxy"):
        patch.setenv(name, ",".join(filter(None, ["127.0.0.1", "localhost", os.environ.get(name)])))


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """The running server, its request log and the harness's own all-powerful credentials."""
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        log = RequestLog()
        faults = FaultPlan()
        # ThreadedMotoServer has no middleware hook; werkzeug reads ``server.app`` for every request
        # (werkzeug/serving.py: ``execute(self.server.app)``), so wrapping it sees every request from now on.
        wsgi_server = server._server
        assert wsgi_server is not None
        wsgi_server.app = _RecordingApp(_FaultInjectingApp(wsgi_server.app, faults), log)
        with pytest.MonkeyPatch.context() as patch:
            _isolate_aws_environment(patch, endpoint, tmp_path_factory.mktemp("no-aws-config"))
            # Bootstrap with the placeholder keys (accepted while IAM is not enforced), then make an IAM user
            # whose keys stay valid when a test turns enforcement on.
            iam = boto3.Session().client("iam")
            iam.create_user(UserName="focus-ingest-tests")
            iam.put_user_policy(
                UserName="focus-ingest-tests", PolicyName="everything", PolicyDocument=json.dumps(_ALLOW_EVERYTHING)
            )
            keys = iam.create_access_key(UserName="focus-ingest-tests")["AccessKey"]
            patch.setenv("AWS_ACCESS_KEY_ID", keys["AccessKeyId"])
            patch.setenv("AWS_SECRET_ACCESS_KEY", keys["SecretAccessKey"])
            patch.setattr(boto3, "DEFAULT_SESSION", None)  # it keeps the credentials it resolved first
            harness = MotoServer(endpoint, log, faults, keys["AccessKeyId"], keys["SecretAccessKey"])
            s3 = harness.client("s3")
            faults.overwrite = lambda bucket, key, data: s3.put_object(Bucket=bucket, Key=key, Body=data)
            yield harness
    finally:
        server.stop()
        werkzeug_log.setLevel(werkzeug_level)


@pytest.fixture(scope="session", autouse=True)
def moto_endpoint(moto_server: MotoServer) -> str:
    """``http://127.0.0.1:PORT`` of the moto server; autouse, so no test runs against real AWS.

    For the whole session the environment holds fake credentials (an IAM user of the server that may do
    anything), region us-east-1, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_S3/_STS/_IAM = this endpoint, no
    shared config files and no instance metadata. Restored when the session ends.
    """
    return moto_server.endpoint


@pytest.fixture
def s3_requests(moto_server: MotoServer) -> RequestLog:
    """The server's request log, emptied when the fixture is set up.

    ``s3_requests()`` counts S3 requests by operation; ``s3_requests.reset()`` starts again;
    ``entries(operation, service=...)`` gives details; ``principals(operation)`` says who signed them.
    """
    moto_server.requests.reset()
    return moto_server.requests


@pytest.fixture
def s3_faults(moto_server: MotoServer) -> Iterator[FaultPlan]:
    """Faults to inject into S3 requests (``s3_faults.add(Fault(...))``); none are left after the test."""
    moto_server.faults.clear()
    yield moto_server.faults
    moto_server.faults.clear()


@dataclass(frozen=True)
class S3TestBucket:
    """A bucket of the moto server, managed with the harness's own credentials."""

    name: str
    client: Any

    def uri(self, prefix: str = "") -> str:
        """``s3://name/prefix/`` (``s3://name/`` for no prefix), as ``--source`` takes it."""
        prefix = prefix.strip("/")
        return f"s3://{self.name}/{prefix}/" if prefix else f"s3://{self.name}/"

    def put(self, key: str, data: bytes | str) -> str:
        """Store an object; returns its ETag without quotes, as the loader records it."""
        body = data.encode() if isinstance(data, str) else data
        return str(self.client.put_object(Bucket=self.name, Key=key, Body=body)["ETag"]).strip('"')

    def put_file(self, key: str, path: Path) -> str:
        return self.put(key, path.read_bytes())

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def etag(self, key: str) -> str:
        """ETag of the stored object without quotes."""
        return str(self.client.head_object(Bucket=self.name, Key=key)["ETag"]).strip('"')

    def empty(self) -> None:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.name, Delete={"Objects": keys, "Quiet": True})


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> Iterator[S3TestBucket]:
    """A fresh, uniquely named bucket; emptied and deleted after the test."""
    bucket = S3TestBucket(f"focus-test-{uuid.uuid4().hex[:12]}", moto_server.client("s3"))
    bucket.client.create_bucket(Bucket=bucket.name)
    yield bucket
    bucket.empty()
    bucket.client.delete_bucket(Bucket=bucket.name)


@dataclass(frozen=True)
class AssumableRole:
    """A read-only role on one bucket, assumable by one IAM user only when it gives the External ID."""

    role_arn: str
    external_id: str
    user_arn: str  # the only principal the trust policy accepts
    access_key_id: str  # that user's keys; the user itself has no S3 permission at all
    secret_access_key: str

    @property
    def session_arn_prefix(self) -> str:
        """``arn:aws:sts::ACCOUNT:assumed-role/NAME/``: what every session of this role signs as."""
        return f"arn:aws:sts::{DEFAULT_ACCOUNT_ID}:assumed-role/{self.role_arn.rsplit('/', 1)[-1]}/"


@pytest.fixture
def assumable_role(moto_server: MotoServer, s3_bucket: S3TestBucket) -> AssumableRole:
    """A role with ``s3:ListBucket`` on ``s3_bucket`` and ``s3:GetObject`` on its objects, nothing more.

    Its trust policy admits one new IAM user and requires ``sts:ExternalId``. Moto checks neither unless
    IAM is enforced (see ``iam_enforced``); without enforcement, assert on what was sent:
    ``s3_requests.entries("AssumeRole", service="sts")[0].params["ExternalId"]``.
    """
    suffix = uuid.uuid4().hex[:10]
    iam = moto_server.client("iam")
    user = iam.create_user(UserName=f"focus-reader-user-{suffix}")["User"]
    keys = iam.create_access_key(UserName=user["UserName"])["AccessKey"]
    external_id = f"focus-external-{suffix}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": user["Arn"]},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }
    role = iam.create_role(RoleName=f"focus-reader-{suffix}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    read_bucket = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{s3_bucket.name}"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{s3_bucket.name}/*"},
        ],
    }
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="read-bucket", PolicyDocument=json.dumps(read_bucket))
    may_assume = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}],
    }
    iam.put_user_policy(UserName=user["UserName"], PolicyName="assume", PolicyDocument=json.dumps(may_assume))
    return AssumableRole(role["Arn"], external_id, user["Arn"], keys["AccessKeyId"], keys["SecretAccessKey"])


@pytest.fixture
def iam_enforced(
    moto_server: MotoServer, assumable_role: AssumableRole, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AssumableRole]:
    """For this test moto checks every request's signature and IAM policies, as AWS would.

    The environment holds the keys of ``assumable_role``'s user, who may only assume the role: code that
    reads the bucket without assuming it gets AccessDenied. A wrong External ID is denied; a missing one is
    not (moto 5.2.5 skips a condition whose key is absent), so assert on the recorded AssumeRole for that.
    """
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", assumable_role.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", assumable_role.secret_access_key)
    # boto3's default session keeps the credentials it resolved first; without this, boto3.client() in the
    # test would go on signing with the harness's all-powerful keys and prove nothing.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    previous = moto_server.set_initial_no_auth_action_count("0")
    try:
        yield assumable_role
    finally:
        moto_server.set_initial_no_auth_action_count(previous)


@pytest.fixture(autouse=True)
def _restore_loader_log_level() -> Iterator[None]:
    """`focus-ingest validate` run in-process quiets the `focus_ingest` logger for the rest of the process; tests that
    read progress logs after it (test_loader_s3) must not depend on the order the suite runs in."""
    level = logging.getLogger("focus_ingest").level
    yield
    logging.getLogger("focus_ingest").setLevel(level)
