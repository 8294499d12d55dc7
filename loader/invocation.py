"""What one `load`/`run` does, from the command line and the config file together.

Precedence: a flag given on the command line, then the config file (a source's own key, then `[run]`),
then the default. With `--config`, the per-source flags (`--role-arn`, `--external-id`, `--endpoint-url`,
`--sts-endpoint-url`, `--region`, `--profile`) apply to every source of the file; `--source` and `--name`
are refused, since the file names its sources.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, fields
from pathlib import Path

from loader.config import ConfigFile, RunTable, SourceOptions, SourceTable, read_config
from loader.errors import ConfigError
from loader.reading import ReadOptions
from loader.settings import (
    DEFAULT_DATABASE,
    DEFAULT_LOOKBACK_MONTHS,
    DataSource,
    RunSettings,
    default_source_name,
    normalize_location,
    parse_as_of,
)

SOURCE_OPTIONS = tuple(SourceOptions.model_fields)
READ_OPTIONS = tuple(field.name for field in fields(ReadOptions) if field.name != "threads")


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


def _source(arguments: argparse.Namespace, table: SourceTable, defaults: RunTable, base: Path) -> DataSource:
    """One configured source; a flag wins over the source's key, which wins over `[run]`'s."""
    values: dict[str, object] = {}
    for name in SOURCE_OPTIONS:
        value = _given(arguments, name)
        if value is None:
            value = getattr(table, name)
        if value is None:
            value = getattr(defaults, name)
        if value is not None:
            values[name] = value
    location = normalize_location(table.location, base)
    return DataSource(name=table.name or default_source_name(location), location=location, **values)


def _sources_from_config(arguments: argparse.Namespace, config: ConfigFile, path: Path) -> tuple[DataSource, ...]:
    for flag in ("source", "name"):
        if _given(arguments, flag):
            raise ConfigError(f"Give either --{flag} or --config, not both: the config file names its sources.")
    base = path.resolve().parent
    return tuple(_source(arguments, table, config.run, base) for table in config.sources)


def _source_from_flags(arguments: argparse.Namespace) -> tuple[DataSource, ...]:
    if not arguments.source:
        raise ConfigError("Say where the files are: --source s3://bucket/prefix/ (or a folder), or --config FILE.")
    location = normalize_location(arguments.source, Path.cwd())
    values = {name: _given(arguments, name) for name in SOURCE_OPTIONS if _given(arguments, name) is not None}
    return (DataSource(name=arguments.name or default_source_name(location), location=location, **values),)


def _run_value(arguments: argparse.Namespace, defaults: RunTable, name: str, fallback: object) -> object:
    flag = "json" if name == "json_output" else name
    for value in (_given(arguments, flag), getattr(defaults, name)):
        if value is not None:
            return value
    return fallback


def resolve(arguments: argparse.Namespace) -> Invocation:
    """Merge the command line with the config file (if any); `ConfigError` says what to fix."""
    config = read_config(arguments.config) if arguments.config else None
    defaults = config.run if config else RunTable()
    sources = _sources_from_config(arguments, config, arguments.config) if config else _source_from_flags(arguments)
    database = _run_value(arguments, defaults, "database", DEFAULT_DATABASE)
    if config and _given(arguments, "database") is None and defaults.database is not None:
        database = arguments.config.resolve().parent / defaults.database  # relative to the file, like locations
    as_of = _run_value(arguments, defaults, "as_of", None)
    optional = {"as_of": parse_as_of(as_of) if isinstance(as_of, str) else as_of} if as_of else {}
    settings = RunSettings(
        sources=sources,
        database=Path(database),
        lookback_months=_run_value(arguments, defaults, "lookback_months", DEFAULT_LOOKBACK_MONTHS),
        backfill_from=_run_value(arguments, defaults, "backfill_from", None),
        retry_rejected=bool(_run_value(arguments, defaults, "retry_rejected", False)),
        **optional,
    )
    read_options = ReadOptions(
        **{
            name: value
            for name in READ_OPTIONS
            if (value := _run_value(arguments, defaults, name, None)) is not None
        }
    )
    return Invocation(
        settings=settings,
        read_options=read_options,
        rebuild=bool(_run_value(arguments, defaults, "rebuild", False)),
        fail_on_rejected=bool(_run_value(arguments, defaults, "fail_on_rejected", False)),
        json_output=bool(_run_value(arguments, defaults, "json_output", False)),
        **_verbosity(arguments, defaults),
    )


def _verbosity(arguments: argparse.Namespace, defaults: RunTable) -> dict[str, bool]:
    """`--verbose`/`--quiet` if either is given, else `[run]`'s, which may not set both."""
    if arguments.verbose or arguments.quiet:
        return {"verbose": bool(arguments.verbose), "quiet": bool(arguments.quiet)}
    if defaults.verbose and defaults.quiet:
        raise ConfigError(f"Config file {arguments.config}: [run] verbose and quiet cannot both be true.")
    return {"verbose": bool(defaults.verbose), "quiet": bool(defaults.quiet)}
