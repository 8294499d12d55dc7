"""Checks of `--database` before anything opens it, so a mistaken path is one line of text, not a traceback.

After `make demo` the natural thing to type is `--database demo` (a folder); a typo can name a file that
is not DuckDB, or a folder that does not exist. Each is a usage error that says what to give instead.
"""

from __future__ import annotations

from pathlib import Path

from focus_ingest.errors import ConfigError

DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
DATABASE_FILE_NAME = "focus.duckdb"


def missing_database_hint(database: Path) -> str:
    """What to run when a command needs a database that does not exist."""
    return (
        f"Database {database} does not exist yet: run `focus-ingest run --source s3://bucket/prefix/ "
        f"--database {database}` first (the demo's is --database demo/{DATABASE_FILE_NAME})."
    )


def check_database(database: Path, must_exist: bool) -> None:
    """Refuse a folder, a file that is not DuckDB, a file in a missing folder; `must_exist` for readers."""
    if database.is_dir():
        inside = database / DATABASE_FILE_NAME
        suggestion = f"--database {inside}" if inside.is_file() else f"e.g. --database {inside}"
        raise ConfigError(f"--database {database} is a folder; give the DuckDB file inside it ({suggestion}).")
    if not database.parent.is_dir():
        raise ConfigError(
            f"--database {database}: the folder {database.parent} does not exist; create it or give another path."
        )
    if not database.exists():
        if must_exist:
            raise ConfigError(missing_database_hint(database))
        return
    try:
        with database.open("rb") as handle:
            head = handle.read(12)
    except OSError as error:
        raise ConfigError(f"--database {database} cannot be read: {error.strerror}.") from None
    if head and head[8:12] != DUCKDB_MAGIC:
        raise ConfigError(
            f"--database {database} is not a DuckDB database file; give the focus-ingest database "
            f"(e.g. {DATABASE_FILE_NAME}) or a new file name."
        )
