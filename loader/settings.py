"""Settings of one loader run: which data sources, which months, which database.

Settings come from the command line, optionally from a TOML config file that lists several data sources
(see README, "Several data sources"). They are validated here, once, so that the rest of the loader can
trust them and a user gets one clear message about what to fix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from loader.errors import ConfigError

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
VALIDATION_PROFILES = ("any", "focus-1.0", "focus-1.1", "focus-1.2", "focus-1.3", "focus-1.4")
DEFAULT_DATABASE = Path("focus.duckdb")
DEFAULT_LOOKBACK_MONTHS = 2
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
class RunSettings:
    """What one run does: the sources, the window of months and where the results go."""

    sources: tuple[DataSource, ...]
    database: Path = DEFAULT_DATABASE
    lookback_months: int = DEFAULT_LOOKBACK_MONTHS
    backfill_from: str | None = None
    as_of: date = field(default_factory=lambda: datetime.now(UTC).date())

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
        if self.lookback_months < 0:
            raise ConfigError("--lookback-months must be 0 or more.")
        if self.backfill_from is not None and not MONTH_PATTERN.match(self.backfill_from):
            raise ConfigError(f"--backfill-from {self.backfill_from!r} is not a month: use YYYY-MM.")

    @property
    def first_month(self) -> str:
        """Earliest month folder this run processes: as-of month minus the lookback, or the backfill start."""
        months_since_year_zero = self.as_of.year * 12 + self.as_of.month - 1 - self.lookback_months
        lookback_start = f"{months_since_year_zero // 12:04d}-{months_since_year_zero % 12 + 1:02d}"
        if self.backfill_from is not None:
            return min(lookback_start, self.backfill_from)
        return lookback_start


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


def load_config_sources(path: Path) -> tuple[tuple[DataSource, ...], dict[str, object]]:
    """Read the data sources (and run defaults) of a TOML config file.

    Returns the sources and the `[run]` table, whose keys (`database`, `lookback_months`,
    `backfill_from`) give defaults that command-line flags override.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config file {path} does not exist.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}.") from None
    entries = document.get("sources")
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"Config file {path} lists no [[sources]]; see README, 'Several data sources'.")
    known = {"name", "location", "role_arn", "external_id", "endpoint_url", "region", "profile"}
    sources = []
    for number, entry in enumerate(entries, start=1):
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ConfigError(f"Config file {path}, source #{number}: unknown key(s) {', '.join(unknown)}.")
        if "location" not in entry:
            raise ConfigError(f"Config file {path}, source #{number}: 'location' is required.")
        location = str(entry["location"])
        if not location.startswith("s3://") and not Path(location).is_absolute():
            location = str((path.parent / location).resolve())
        sources.append(
            DataSource(
                name=str(entry.get("name") or default_source_name(location)),
                location=location,
                role_arn=entry.get("role_arn"),
                external_id=entry.get("external_id"),
                endpoint_url=entry.get("endpoint_url"),
                region=entry.get("region"),
                profile=str(entry.get("profile", "any")),
            )
        )
    run_defaults = document.get("run", {})
    if not isinstance(run_defaults, dict):
        raise ConfigError(f"Config file {path}: [run] must be a table.")
    return tuple(sources), run_defaults
