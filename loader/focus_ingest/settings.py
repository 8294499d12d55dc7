"""Settings of one loader run: which data sources, which months, which database.

Settings come from the command line, optionally from a TOML config file that lists several data sources
(see README, "Several data sources"). They are validated here, once, so that the rest of the loader can
trust them and a user gets one clear message about what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from focus_ingest.errors import ConfigError
from focus_ingest.months import add_months, month_of

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
VALIDATION_PROFILES = ("any", "focus-1.0", "focus-1.1", "focus-1.2", "focus-1.3", "focus-1.4")
DEFAULT_DATABASE = Path("focus.duckdb")
DEFAULT_LOOKBACK_MONTHS = 2
# Where `run` builds the dbt project: DuckDB inside the database file, or Apache Spark over the lake
# (spark_engine.py). The first is the default.
ENGINES = ("duckdb", "spark")
# DuckDB's memory limit for every connection of a run (reading, loading, dbt build; profiles.yml's default
# too). DuckDB spills to disk beyond it; a 2M-row build is no slower with it than unbounded (BENCHMARKS.md).
DEFAULT_MEMORY_LIMIT = "512MB"
_SIZE_PATTERN = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(i?)B$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes of a size written the way DuckDB reads its memory limit: 512MB, 2GB, 1.5GiB (KB = 1000 B)."""
    match = _SIZE_PATTERN.match(text.strip())
    if match is None:
        raise ConfigError(f"{text!r} is not a size: write a number and a unit, e.g. 512MB or 2GB.")
    number, prefix, binary = match.groups()
    power = "BKMGT".index(prefix.upper() or "B")
    return int(float(number) * (1024 if binary else 1000) ** power)


# DuckDB names a database file's catalog after its stem; a stem equal to one of the project's schemas makes
# every "<stem>.<table>" reference in the dbt models ambiguous.
RESERVED_DATABASE_STEMS = ("raw", "reference", "staging", "intermediate", "marts", "main", "system", "temp")
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


@dataclass(frozen=True)
class DataSource:
    """One place where a producer drops FOCUS files: an S3 prefix or a local folder."""

    name: str
    location: str
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)  # a shared secret: never shown
    endpoint_url: str | None = None
    sts_endpoint_url: str | None = None  # STS of an S3-compatible store; AWS's STS otherwise
    region: str | None = None
    profile: str = "any"

    @property
    def is_s3(self) -> bool:
        return self.location.startswith("s3://")

    def __post_init__(self) -> None:
        if not _NAME_PATTERN.match(self.name):
            raise ConfigError(
                f"Data source name {self.name!r} is not valid: use letters, digits, '-', '_' or '.', "
                "starting with a letter or digit (at most 63 characters)."
            )
        if self.profile not in VALIDATION_PROFILES:
            raise ConfigError(
                f"Data source {self.name!r}: unknown profile {self.profile!r}; "
                f"choose one of {', '.join(VALIDATION_PROFILES)}."
            )
        if self.external_id is not None and not self.role_arn:
            raise ConfigError(f"Data source {self.name!r}: an External ID needs a role ARN to go with it.")
        if self.is_s3 and not self.location[len("s3://") :].split("/", 1)[0]:
            raise ConfigError(f"Data source {self.name!r}: {self.location!r} names no bucket.")


@dataclass(frozen=True)
class Lake:
    """Where `--lake` puts the raw layer as Parquet (destinations.py): a local folder or an S3 prefix.

    `url` is normalized once (`normalize_lake`): an absolute folder, or `s3://bucket/prefix` without a
    trailing slash, so that `join` gives the same form on both and a lake compares equal to itself
    however it was written. `endpoint_url` is an S3-compatible store's (MinIO, Ceph, moto); without it
    boto3's own chooses (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS's). The lake's credentials are the
    default AWS chain, never a data source's `--role-arn`: that role may read a producer's bucket only.
    The interface other modules build on is `url`, `endpoint_url`, `is_s3`, `bucket` and `join`; code that
    needs a local folder (Spark's session reads the lake itself) refuses `is_s3` and uses `Path(url)`.
    """

    url: str
    endpoint_url: str | None = None

    @property
    def is_s3(self) -> bool:
        return self.url.startswith("s3://")

    @property
    def bucket(self) -> str:
        """The bucket of an S3 lake ("" for a folder)."""
        return self.url[len("s3://") :].split("/", 1)[0] if self.is_s3 else ""

    def join(self, *parts: str) -> str:
        """A file or folder inside the lake, as a URL (s3) or a path: `join("raw", "_dlt_loads")`."""
        return "/".join((self.url, *parts))

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True)
class RunSettings:
    """What one run does: the sources, the window of months and where the results go."""

    sources: tuple[DataSource, ...]
    database: Path = DEFAULT_DATABASE
    lookback_months: int = DEFAULT_LOOKBACK_MONTHS
    backfill_from: str | None = None
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())
    retry_rejected: bool = False  # read rejected versions again although their ETag is unchanged
    lake: Lake | None = None  # the raw layer as Parquet there (destinations.py); None: in the database
    workers: int = 1  # data sources loaded at once, each in its own process (workers.py); needs a lake
    engine: str = ENGINES[0]  # what builds the dbt project (ENGINES)

    def __post_init__(self) -> None:
        if not self.sources:
            raise ConfigError("No data source given: pass --source s3://bucket/prefix/ (or a folder), or --config.")
        names = [source.name for source in self.sources]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ConfigError(f"Data source names must be unique; repeated: {', '.join(duplicates)}.")
        if self.database.stem.lower() in RESERVED_DATABASE_STEMS:
            raise ConfigError(
                f"--database {self.database}: DuckDB would name its catalog {self.database.stem!r}, like one of the "
                f"schemas inside it; choose another file name (e.g. focus.duckdb)."
            )
        if self.engine not in ENGINES:
            raise ConfigError(f"Unknown engine {self.engine!r}: choose one of {', '.join(ENGINES)}.")
        if self.engine == "spark" and self.lake is None:
            raise ConfigError(
                "--engine spark needs --lake FOLDER (or [run] lake): Spark reads the raw layer from the lake's "
                "Parquet files and writes the marts there."
            )
        if self.engine == "spark" and self.lake is not None and self.lake.is_s3:
            raise ConfigError(
                f"--engine spark needs a local --lake folder, not {self.lake.url}: pip's pyspark has no S3 "
                "connector (hadoop-aws). Use --engine duckdb with an S3 lake, or a local lake with Spark."
            )
        if self.workers < 1:
            raise ConfigError("--workers must be 1 or more.")
        if self.workers > 1 and self.lake is None:
            raise ConfigError(
                f"--workers {self.workers} needs --lake: the database file has one writer, so without a lake the "
                "data sources load one after another (drop --workers, or give --lake FOLDER)."
            )
        if self.lookback_months < 0:
            raise ConfigError("--lookback-months must be 0 or more.")
        if self.backfill_from is not None and not MONTH_PATTERN.match(self.backfill_from):
            raise ConfigError(f"--backfill-from {self.backfill_from!r} is not a month: use YYYY-MM.")
        if self.backfill_from is not None and self.backfill_from > self.lookback_start:
            raise ConfigError(
                f"--backfill-from {self.backfill_from} is inside the window already (months from "
                f"{self.lookback_start} on are processed); give an earlier month, or raise --lookback-months."
            )

    @property
    def lookback_start(self) -> str:
        """The as-of month minus the lookback."""
        return add_months(month_of(self.as_of), -self.lookback_months)

    @property
    def first_month(self) -> str:
        """Earliest month folder this run processes: the lookback start, or the backfill start."""
        if self.backfill_from is not None:
            return min(self.lookback_start, self.backfill_from)
        return self.lookback_start


_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def normalize_location(location: str, relative_to: Path) -> str:
    """`s3://…` as written (the scheme in any case), else an absolute folder; other URLs are refused."""
    scheme = _URL_SCHEME.match(location)
    if scheme and scheme[1].lower() == "s3":
        return "s3://" + location[len(scheme[0]) :]
    if not scheme and location.lower().startswith("s3:"):
        raise ConfigError(f"{location!r} is not an S3 URL: write s3://bucket/prefix/.")
    if scheme:
        raise ConfigError(
            f"{location!r}: only s3:// URLs (S3 and S3-compatible stores, with --endpoint-url) and local folders "
            f"are supported, not {scheme[1]}://."
        )
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else (relative_to / path).resolve())


def normalize_lake(location: str, relative_to: Path, endpoint_url: str | None = None) -> Lake:
    """`--lake`: `s3://bucket/prefix/` (the scheme in any case) or a local folder, made absolute."""
    scheme = _URL_SCHEME.match(location)
    if not scheme and location.lower().startswith("s3:"):
        raise ConfigError(f"--lake {location!r} is not an S3 URL: write s3://bucket/prefix/.")
    if scheme and scheme[1].lower() == "s3":
        lake = Lake("s3://" + location[len(scheme[0]) :].rstrip("/"), endpoint_url)
        if not lake.bucket:
            raise ConfigError(f"--lake {location!r} names no bucket: write s3://bucket/prefix/.")
        return lake
    if scheme:
        raise ConfigError(f"--lake {location!r}: a lake is an s3:// URL or a local folder, not {scheme[1]}://.")
    if endpoint_url is not None:
        raise ConfigError(f"--lake-endpoint-url is for an s3:// lake; {location!r} is a local folder.")
    path = Path(location).expanduser()
    path = path if path.is_absolute() else (relative_to / path).resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--lake {location!r}: {path} is a file; give a folder (it is created when missing).")
    return Lake(str(path))


def default_source_name(location: str) -> str:
    """A stable name for a source given on the command line: its bucket/prefix or its folder name."""
    is_s3 = location.startswith("s3://")
    text = location[len("s3://") :].strip("/") if is_s3 else Path(location).resolve().name
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:63]
    return slug or "default"


def parse_as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--as-of {text!r} is not a date: use YYYY-MM-DD.") from None
