"""What one `load`/`run` does, from the command line and the config file together.

Precedence: a flag given on the command line, then the config file (a source's own key, then `[run]`),
then the default. With `--config`, the per-source flags (`--role-arn`, `--external-id`, `--endpoint-url`,
`--sts-endpoint-url`, `--region`, `--profile`) apply to every source of the file; `--source` and `--name`
are refused, since the file names its sources.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from focus_ingest.config import ConfigFile, RunTable, SourceOptions, SourceTable, read_config
from focus_ingest.errors import ConfigError
from focus_ingest.reading import ReadOptions
from focus_ingest.settings import (
    DEFAULT_DATABASE,
    DEFAULT_LOOKBACK_MONTHS,
    ENGINES,
    DataSource,
    RunSettings,
    default_source_name,
    normalize_lake,
    normalize_location,
    parse_as_of,
)

SOURCE_OPTIONS = tuple(SourceOptions.model_fields)
DEFAULT_PROFILE = "any"
T = TypeVar("T")
Options = TypeVar("Options", bound=BaseModel)


@dataclass(frozen=True)
class Invocation:
    """Everything a `load`/`run` needs, validated."""

    settings: RunSettings
    read_options: ReadOptions
    rebuild: bool
    fail_on_rejected: bool
    json_output: bool
    verbose: bool
    quiet: bool


def _given(arguments: argparse.Namespace, name: str) -> object:
    return getattr(arguments, name, None)


def _flags(arguments: argparse.Namespace, names: Iterable[str]) -> dict[str, Any]:
    """The options given on the command line, by field name: argparse has checked their values, and its
    `Namespace` is untyped."""
    flag_of = {"json_output": "json"}
    return {name: value for name in names if (value := _given(arguments, flag_of.get(name, name))) is not None}


def _first_given(model: type[Options], *layers: BaseModel) -> Options:
    """Each option from the first layer that sets it; the layers' values are already checked."""
    values: dict[str, Any] = {}
    for layer in reversed(layers):
        values.update(layer.model_dump(include=set(model.model_fields), exclude_none=True))
    return model.model_construct(**values)


def _data_source(name: str, location: str, options: SourceOptions) -> DataSource:
    return DataSource(
        name=name,
        location=location,
        role_arn=options.role_arn,
        external_id=options.external_id,
        endpoint_url=options.endpoint_url,
        sts_endpoint_url=options.sts_endpoint_url,
        region=options.region,
        profile=options.profile or DEFAULT_PROFILE,
    )


def _source(flags: SourceOptions, table: SourceTable, defaults: RunTable, base: Path) -> DataSource:
    """One configured source; a flag wins over the source's key, which wins over `[run]`'s."""
    location = normalize_location(table.location, base)
    options = _first_given(SourceOptions, flags, table, defaults)
    return _data_source(table.name or default_source_name(location), location, options)


def _sources_from_config(arguments: argparse.Namespace, config: ConfigFile, path: Path) -> tuple[DataSource, ...]:
    for flag in ("source", "name"):
        if _given(arguments, flag):
            raise ConfigError(f"Give either --{flag} or --config, not both: the config file names its sources.")
    base = path.resolve().parent
    flags = SourceOptions.model_construct(**_flags(arguments, SOURCE_OPTIONS))
    return tuple(_source(flags, table, config.run, base) for table in config.sources)


def _source_from_flags(arguments: argparse.Namespace) -> tuple[DataSource, ...]:
    if not arguments.source:
        raise ConfigError("Say where the files are: --source s3://bucket/prefix/ (or a folder), or --config FILE.")
    location = normalize_location(arguments.source, Path.cwd())
    options = SourceOptions.model_construct(**_flags(arguments, SOURCE_OPTIONS))
    return (_data_source(arguments.name or default_source_name(location), location, options),)


def _as_of(value: date | str | None) -> dict[str, date]:
    """`as_of` for `RunSettings` when one is given: a TOML date, or `YYYY-MM-DD` from the flag or the file."""
    if not value:
        return {}
    return {"as_of": parse_as_of(value) if isinstance(value, str) else value}


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def _read_options(run: RunTable) -> ReadOptions:
    """The reading knobs given, `ReadOptions`' defaults for the others (`threads` is not an option)."""
    default = ReadOptions()
    return ReadOptions(
        batch_rows=_or(run.batch_rows, default.batch_rows),
        memory_limit=_or(run.memory_limit, default.memory_limit),
        max_file_bytes=_or(run.max_file_bytes, default.max_file_bytes),
        max_file_rows=_or(run.max_file_rows, default.max_file_rows),
        max_record_bytes=_or(run.max_record_bytes, default.max_record_bytes),
        read_block_bytes=_or(run.read_block_bytes, default.read_block_bytes),
        max_concurrent_fetches=_or(run.max_concurrent_fetches, default.max_concurrent_fetches),
    )


def resolve(arguments: argparse.Namespace) -> Invocation:
    """Merge the command line with the config file (if any); `ConfigError` says what to fix."""
    config = read_config(arguments.config) if arguments.config else None
    defaults = config.run if config else RunTable()
    sources = _sources_from_config(arguments, config, arguments.config) if config else _source_from_flags(arguments)
    flags = _flags(arguments, RunTable.model_fields)
    as_of: date | str | None = flags.pop("as_of", None) or defaults.as_of  # the flag is text
    run = _first_given(RunTable, RunTable.model_construct(**flags), defaults)
    database = run.database or DEFAULT_DATABASE
    if config and _given(arguments, "database") is None and defaults.database is not None:
        database = arguments.config.resolve().parent / defaults.database  # relative to the file, like locations
    lake = None
    if run.lake is not None:  # relative to the config file when it comes from there, like the database
        from_file = config is not None and _given(arguments, "lake") is None
        relative_to = arguments.config.resolve().parent if from_file else Path.cwd()
        lake = normalize_lake(run.lake, relative_to, run.lake_endpoint_url)
    elif run.lake_endpoint_url is not None:
        raise ConfigError("--lake-endpoint-url (or [run] lake_endpoint_url) needs an s3:// --lake.")
    settings = RunSettings(
        sources=sources,
        database=Path(database),
        lake=lake,
        engine=run.engine or ENGINES[0],
        workers=_or(run.workers, 1),
        lookback_months=_or(run.lookback_months, DEFAULT_LOOKBACK_MONTHS),
        backfill_from=run.backfill_from,
        retry_rejected=bool(run.retry_rejected),
        **_as_of(as_of),
    )
    read_options = _read_options(run)
    return Invocation(
        settings=settings,
        read_options=read_options,
        rebuild=bool(run.rebuild),
        fail_on_rejected=bool(run.fail_on_rejected),
        json_output=bool(run.json_output),
        **_verbosity(arguments, defaults),
    )


def _verbosity(arguments: argparse.Namespace, defaults: RunTable) -> dict[str, bool]:
    """`--verbose`/`--quiet` if either is given, else `[run]`'s, which may not set both."""
    if arguments.verbose or arguments.quiet:
        return {"verbose": bool(arguments.verbose), "quiet": bool(arguments.quiet)}
    if defaults.verbose and defaults.quiet:
        raise ConfigError(f"Config file {arguments.config}: [run] verbose and quiet cannot both be true.")
    return {"verbose": bool(defaults.verbose), "quiet": bool(defaults.quiet)}
