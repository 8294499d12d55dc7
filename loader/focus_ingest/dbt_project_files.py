"""Which files make up the dbt project: the wheel ships them (setup.py) and a build fingerprints them.

Standard library only, and no `loader` imports: setup.py loads this file by its path while building.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")
PROJECT_SUFFIXES = frozenset({".yml", ".sql", ".csv"})  # what dbt reads; tests/python holds none of them


def project_files(root: Path) -> list[Path]:
    """The project's files under `root`, relative to it and sorted, so that a hash of them is stable."""
    found: list[Path] = []
    for name in PROJECT_ENTRIES:
        entry = root / name
        paths = [entry] if entry.is_file() else sorted(entry.rglob("*"))
        found.extend(path.relative_to(root) for path in paths if path.is_file() and path.suffix in PROJECT_SUFFIXES)
    return found
