"""S3 access: credentials (optionally a cross-account role with an External ID), listing and download.

Only `s3:ListBucket` (ListObjectsV2) and `s3:GetObject` are ever called on the bucket. Every AWS error is
turned into a message that says what to check; secrets (keys, session tokens, the External ID) are never
part of a message or a log line.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.utils import parse_timestamp

from focus_ingest.errors import SourceError, TransientFileError
from focus_ingest.settings import DataSource
from focus_ingest.stores import ByteProgress, StoredObject

logger = logging.getLogger(__name__)

SESSION_NAME = "focus-ingest"
ROLE_SESSION_SECONDS = 3600
DOWNLOAD_CHUNK_BYTES = 8 * 1024 * 1024
# botocore retries each request on 5xx, SlowDown/throttling and connection errors, with backoff.
REQUEST_ATTEMPTS = 8
RETRY_MODE = "adaptive"  # also slows this client down when S3 says SlowDown
# A download whose body breaks off mid-stream (connection reset) is restarted this often, with backoff.
DOWNLOAD_ATTEMPTS = 3
DOWNLOAD_BACKOFF_SECONDS = 2.0
_ACCESS_DENIED = {"AccessDenied", "AllAccessDisabled", "403", "Forbidden"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "TokenRefreshRequired",
}


def _client_config(connections: int = 10) -> Config:
    """Retries with backoff; `connections` is the HTTP pool, one per download that may run at once."""
    return Config(
        retries={"max_attempts": REQUEST_ATTEMPTS, "mode": RETRY_MODE},
        connect_timeout=10,
        read_timeout=120,
        max_pool_connections=max(connections, 10),
    )


def _fast_timestamp(value: str) -> datetime:
    """botocore's timestamp parser for the two forms S3 sends, ~15x faster than dateutil's general one.

    Each listed object (`LastModified`, ISO 8601) and each GetObject answer (`Last-Modified`, an HTTP
    date) carries one, and dateutil costs ~80 us a parse: thousands of small files pay it twice each.
    Anything else (epoch seconds, other forms) goes to botocore's own parser.
    """
    try:
        if value[:4].isdigit() and value[4:5] == "-":
            parsed = datetime.fromisoformat(value)
        else:
            parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        fallback: datetime = parse_timestamp(value)  # botocore's parser is untyped
        return fallback
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _session(source: DataSource) -> boto3.Session:
    """The session for the bucket: a role's (renewed) or the default credential chain's, fast timestamps."""
    botocore_session = _refreshing_role_session(source) if source.role_arn else botocore.session.get_session()
    botocore_session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_fast_timestamp)
    return boto3.Session(botocore_session=botocore_session, region_name=source.region)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → (`bucket`, `some/prefix/`); the prefix always ends with `/` unless empty."""
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def access_checklist(source: DataSource, bucket: str, prefix: str) -> str:
    """The things a person must check when the bucket refuses us, in the order they usually go wrong."""
    lines = ["Check:"]
    if source.role_arn:
        lines += [
            f"  - the role {source.role_arn} trusts the identity running focus-ingest "
            "(trust policy Principal allows sts:AssumeRole)",
            "  - the External ID given matches the role's sts:ExternalId condition"
            if source.external_id
            else "  - whether the role requires an External ID (pass --external-id)",
        ]
    else:
        lines.append("  - which credentials are in use (AWS_PROFILE, AWS_ACCESS_KEY_ID, instance or task role)")
    lines += [
        f"  - s3:ListBucket is allowed on arn:aws:s3:::{bucket}" + (f" for prefix {prefix}" if prefix else ""),
        f"  - s3:GetObject is allowed on arn:aws:s3:::{bucket}/{prefix}*",
        "  - no bucket policy, SCP or KMS key policy denies it (KMS-encrypted files also need kms:Decrypt)",
    ]
    return "\n".join(lines)


def _refreshing_role_session(source: DataSource) -> botocore.session.Session:
    """A session whose credentials come from sts:AssumeRole and are renewed before they expire.

    Renewal matters because a backfill of large files can outlast one role session.
    """
    base = boto3.Session(region_name=source.region)
    # Not --endpoint-url: an S3-compatible store's STS (MinIO, Ceph) is named apart, or by AWS_ENDPOINT_URL_STS.
    sts = base.client("sts", endpoint_url=source.sts_endpoint_url, config=_client_config())

    def assume() -> dict[str, str]:
        arguments = {
            "RoleArn": source.role_arn,
            "RoleSessionName": SESSION_NAME,
            "DurationSeconds": ROLE_SESSION_SECONDS,
        }
        if source.external_id:
            arguments["ExternalId"] = source.external_id
        credentials = sts.assume_role(**arguments)["Credentials"]
        logger.debug("assumed role %s until %s", source.role_arn, credentials["Expiration"])
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].astimezone(UTC).isoformat(),
        }

    botocore_session = botocore.session.get_session()
    # The role as the session's only credential provider, through botocore's public component interface
    # (not by setting the session's private `_credentials`). botocore assumes it on first use.
    botocore_session.register_component("credential_provider", CredentialResolver([_AssumedRole(assume)]))
    return botocore_session


class _AssumedRole(CredentialProvider):  # type: ignore[misc]  # botocore has no type information
    """Credentials from sts:AssumeRole, which botocore renews through `assume` before they expire."""

    METHOD = "sts-assume-role"

    def __init__(self, assume: Callable[[], dict[str, str]]) -> None:
        super().__init__()
        self._assume = assume

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(
            metadata=self._assume(), refresh_using=self._assume, method=self.METHOD
        )


class S3Store:
    """A bucket prefix holding month folders.

    `fetch` may run in several threads at once: boto3 clients are thread-safe, and the refreshable role
    credentials renew under their own lock. With the adaptive retry mode, a SlowDown answer to any of
    them slows the whole client's request rate down.
    """

    def __init__(self, source: DataSource, work_dir: Path, concurrent_fetches: int = 1) -> None:
        self.source = source
        self.location = source.location
        self.bucket, self.prefix = split_s3_uri(source.location)
        self._work_dir = work_dir
        with self._translated_errors("sts:AssumeRole" if source.role_arn else "credentials"):
            session = _session(source)
            if session.get_credentials() is None:
                raise NoCredentialsError()
        self._client = session.client("s3", endpoint_url=source.endpoint_url, config=_client_config(concurrent_fetches))

    def list_objects(self) -> Iterator[StoredObject]:
        paginator = self._client.get_paginator("list_objects_v2")
        with self._translated_errors("s3:ListBucket"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for entry in page.get("Contents", []):
                    yield StoredObject(
                        key=entry["Key"],
                        etag=entry["ETag"].strip('"'),
                        size=entry["Size"],
                        last_modified=entry["LastModified"],
                    )

    @contextlib.contextmanager
    def fetch(self, item: StoredObject, on_progress: ByteProgress) -> Iterator[Path]:
        """Download the listed version to a temporary file (streamed, bounded memory).

        `IfMatch` makes S3 refuse the download if the object was overwritten since it was listed, so rows
        always belong to the ETag recorded for them.
        """
        suffix = ".csv.gz" if item.key.lower().endswith(".gz") else ".csv"
        with tempfile.NamedTemporaryFile(dir=self._work_dir, suffix=suffix) as local:
            for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
                local.seek(0)
                local.truncate()
                try:
                    self._download(item, local, on_progress)
                    break
                except (ClientError, BotoCoreError, OSError) as error:  # SourceError and 412 pass through
                    if attempt == DOWNLOAD_ATTEMPTS:
                        raise TransientFileError(
                            f"{item.key}: download failed {attempt} times ({error}); it is read next run."
                        ) from None
                    pause = DOWNLOAD_BACKOFF_SECONDS * 2 ** (attempt - 1)
                    logger.warning("%s: download failed (%s); retrying in %.0f s", item.key, error, pause)
                    time.sleep(pause)
            local.flush()
            yield Path(local.name)

    def _download(self, item: StoredObject, local: IO[bytes], on_progress: ByteProgress) -> None:
        with self._translated_errors("s3:GetObject", key=item.key):
            response = self._client.get_object(Bucket=self.bucket, Key=item.key, IfMatch=f'"{item.etag}"')
            received = 0
            for chunk in response["Body"].iter_chunks(DOWNLOAD_CHUNK_BYTES):
                local.write(chunk)
                received += len(chunk)
                on_progress(received)

    @contextlib.contextmanager
    def _translated_errors(self, action: str, key: str | None = None) -> Iterator[None]:
        """Turn AWS errors that concern the whole source into a `SourceError` with what to check."""
        where = f"s3://{self.bucket}/{self.prefix}"
        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in {"PreconditionFailed", "412"} or status == 412:
                raise TransientFileError(
                    f"{key} was overwritten while this run read it; it is read again next run."
                ) from None
            if code in {"NoSuchKey", "404"} and key:
                raise TransientFileError(f"{key} disappeared while this run read it.") from None
            if code == "NoSuchBucket":
                raise SourceError(f"Bucket {self.bucket!r} does not exist (or is in another partition).") from None
            if code in _BAD_CREDENTIALS:
                raise SourceError(
                    f"The AWS credentials were refused ({code}) during {action} for {where}: they are wrong, "
                    "expired or for another account. Check AWS_PROFILE / AWS_ACCESS_KEY_ID and the clock.\n"
                    + access_checklist(self.source, self.bucket, self.prefix)
                ) from None
            if code in _ACCESS_DENIED or status == 403:
                raise SourceError(
                    f"Access denied to {where} ({action}{' on ' + key if key else ''}).\n"
                    + access_checklist(self.source, self.bucket, self.prefix)
                ) from None
            raise
        except (NoCredentialsError, PartialCredentialsError):
            raise SourceError(
                f"No AWS credentials found for {where}. Configure the default credential chain "
                "(AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or an instance/task role)."
            ) from None
        except EndpointConnectionError as error:
            raise SourceError(
                f"Cannot reach the S3 endpoint for {where}: {error}. Check --endpoint-url, --region and network."
            ) from None
