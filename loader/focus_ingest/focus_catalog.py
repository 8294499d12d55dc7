"""The raw columns of every FOCUS column and header alias the project knows, from the seeds' CSV files.

One source of truth, two readers: dbt reads these seeds through the generated macro `focus_reference`
(scripts/generate_seeds.py), the loader reads the CSV files themselves, so that raw.focus_rows has every
column the models select, whether or not a file carried it, and the models never ask the database.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # dlt is imported by the loader only: a cached validate reads this module without it
    from dlt.common.schema.typing import TColumnSchema

COLUMNS_SEED = "focus_columns.csv"
ALIASES_SEED = "focus_column_aliases.csv"


def focus_column_keys(project: Path) -> list[str]:
    """Every FOCUS column key (all versions, both datasets), then every alias key, each once, in seed order."""
    seeds = project / "seeds"
    keys: dict[str, None] = {}
    with (seeds / COLUMNS_SEED).open(encoding="utf-8", newline="") as columns:
        keys.update((row["column_key"], None) for row in csv.DictReader(columns))
    with (seeds / ALIASES_SEED).open(encoding="utf-8", newline="") as aliases:
        keys.update((row["alias_key"], None) for row in csv.DictReader(aliases))
    return list(keys)


def focus_header_names(project: Path) -> list[str]:
    """Every FOCUS column name and alias as a file's header spells it (`BilledCost`, `Provider`), each once."""
    seeds = project / "seeds"
    names: dict[str, None] = {}
    with (seeds / COLUMNS_SEED).open(encoding="utf-8", newline="") as columns:
        names.update((row["column_id"], None) for row in csv.DictReader(columns))
    with (seeds / ALIASES_SEED).open(encoding="utf-8", newline="") as aliases:
        names.update((row["alias_name"], None) for row in csv.DictReader(aliases))
    return list(names)


def text_column_hints(project: Path) -> dict[str, TColumnSchema]:
    """dlt column hints that declare every FOCUS column as nullable text: dlt creates them on a load even
    when no file carries them, and adds them to a table made by an earlier version (schema evolution)."""
    return {key: {"name": key, "data_type": "text", "nullable": True} for key in focus_column_keys(project)}
