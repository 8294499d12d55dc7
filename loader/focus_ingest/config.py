"""The TOML config file (`--config`): its schema, checked by pydantic, and the message when it is wrong.

Every command-line option of `load`/`run` has a key in `[run]`; the options that belong to one data source
also have a key in each `[[sources]]` entry (a source's own value wins over `[run]`'s). Unknown keys and
tables and values of the wrong type are errors that name the file and the key: a typo such as
`lookback_month = 3` must not run silently with the default window.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from focus_ingest.errors import ConfigError
from focus_ingest.settings import ENGINES, MONTH_PATTERN, VALIDATION_PROFILES, parse_size


def _size(value: object) -> object:
    """Sizes are written like the memory limit (`1GB`, `512MB`) or as a number of bytes."""
    if not isinstance(value, str):
        return value
    try:
        return parse_size(value)
    except ConfigError as error:
        raise ValueError(str(error)) from None


def _month(value: object) -> object:
    if isinstance(value, str) and not MONTH_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a month: use YYYY-MM")
    return value


def _memory_limit(value: object) -> object:
    if isinstance(value, str):
        _size(value)  # a wrong size is refused here, with the file and key named
    return value


Size = Annotated[int, BeforeValidator(_size), Field(gt=0)]
Month = Annotated[str, BeforeValidator(_month)]
MemoryLimit = Annotated[str, BeforeValidator(_memory_limit)]
Profile = Literal[VALIDATION_PROFILES]  # type: ignore[valid-type]  # pydantic takes the tuple; mypy wants literals
Engine = Literal[ENGINES]  # type: ignore[valid-type]  # as Profile


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceOptions(_Strict):
    """The options that belong to one data source; in `[run]` they are defaults for every source."""

    role_arn: str | None = None
    external_id: str | None = None
    endpoint_url: str | None = None
    sts_endpoint_url: str | None = None
    region: str | None = None
    profile: Profile | None = None


class SourceTable(SourceOptions):
    """One `[[sources]]` entry."""

    location: str
    name: str | None = None


class RunTable(SourceOptions):
    """`[run]`: defaults for the whole run; a command-line flag wins over them."""

    database: Path | None = None
    lake: str | None = None
    lake_endpoint_url: str | None = None
    engine: Engine | None = None
    workers: Annotated[int, Field(gt=0)] | None = None
    lookback_months: Annotated[int, Field(ge=0)] | None = None
    backfill_from: Month | None = None
    as_of: date | None = None
    memory_limit: MemoryLimit | None = None
    batch_rows: Annotated[int, Field(gt=0)] | None = None
    max_file_bytes: Size | None = None
    max_file_rows: Annotated[int, Field(gt=0)] | None = None
    max_concurrent_fetches: Annotated[int, Field(gt=0)] | None = None
    max_record_bytes: Size | None = None
    read_block_bytes: Size | None = None
    rebuild: bool | None = None
    fail_on_rejected: bool | None = None
    retry_rejected: bool | None = None
    json_output: bool | None = Field(default=None, alias="json")
    verbose: bool | None = None
    quiet: bool | None = None


class ConfigFile(_Strict):
    run: RunTable = Field(default_factory=RunTable)
    sources: list[SourceTable] = Field(min_length=1)


def _where(location: tuple[int | str, ...]) -> str:
    """`[run] lookback_month` or `[[sources]] #2 role_arn` from pydantic's error location."""
    if not location:
        return "the file"
    table, *rest = location
    if table == "sources" and rest and isinstance(rest[0], int):
        prefix, rest = f"[[sources]] #{rest[0] + 1}", rest[1:]
    elif table == "sources":
        prefix = "[[sources]]"
    elif table == "run":
        prefix = "[run]"
    else:
        prefix = f"[{table}]"
    return " ".join([prefix, *(str(part) for part in rest)])


def _message(path: Path, error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        location = tuple(item["loc"])
        if item["type"] == "extra_forbidden" and len(location) == 1:
            problems.append(f"[{location[0]}]: unknown table (the file has [run] and [[sources]])")
            continue
        where = _where(location)
        if item["type"] == "extra_forbidden":
            problems.append(f"{where}: unknown key (see README, 'Several data sources')")
        elif item["type"] == "missing":
            problems.append(f"{where}: required")
        else:
            text = item["msg"].removeprefix("Value error, ").rstrip(".")
            problems.append(f"{where}: {text} (got {item['input']!r})")
    return f"Config file {path}: " + "; ".join(problems) + "."


def read_config(path: Path) -> ConfigFile:
    """The config file, checked; `ConfigError` names the file and each wrong key."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ConfigError(f"Config file {path} does not exist or is not a file.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"Config file {path} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"Config file {path} is not valid TOML: {error}.") from None
    if "sources" not in document:
        raise ConfigError(f"Config file {path} lists no [[sources]]; see README, 'Several data sources'.")
    try:
        return ConfigFile.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_message(path, error)) from None
