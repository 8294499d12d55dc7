"""Discovery: which listed objects are billing files of which month, and why the others are ignored.

Layout: `<prefix>/YYYY-MM/<name>.csv` or `.csv.gz` (extension case-insensitive), directly inside the month
folder. Anything else is reported with a reason a person can act on, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from focus_ingest.errors import SourceError
from focus_ingest.progress import plural
from focus_ingest.settings import MONTH_PATTERN
from focus_ingest.stores import StoredObject

SUPPORTED_EXTENSIONS = (".csv", ".csv.gz")
EXPECTED_LAYOUT = "<prefix>/YYYY-MM/<name>.csv or <name>.csv.gz (one folder per billing month, e.g. 2025-03/)"
_COMPACT_MONTH = re.compile(r"^(\d{4})[_.]?(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class IgnoredObject:
    key: str
    reason: str


@dataclass(frozen=True)
class BillingFile:
    """A file that belongs to a billing month."""

    item: StoredObject
    month: str

    @property
    def is_gzip(self) -> bool:
        return self.item.key.lower().endswith(".gz")


@dataclass
class Discovery:
    """What a listing holds: billing files per month and everything that was ignored."""

    files_by_month: dict[str, list[BillingFile]] = field(default_factory=dict)
    ignored: list[IgnoredObject] = field(default_factory=list)
    listed: int = 0  # objects, folder markers not counted
    folders: int = 0  # folder markers (S3 consoles, and every folder of a local source)

    @property
    def months(self) -> list[str]:
        return sorted(self.files_by_month)


def _folder_hint(folder: str) -> str:
    compact = _COMPACT_MONTH.match(folder)
    if compact:
        return f"folder {folder!r} is not named YYYY-MM (rename it to {compact[1]}-{compact[2]}/)"
    return f"folder {folder!r} is not a billing month: month folders are named YYYY-MM, e.g. 2025-03/"


def classify(key: str, prefix: str) -> tuple[str | None, str | None]:
    """(month, None) for a billing file, (None, reason) for an ignored object, (None, None) to skip quietly."""
    relative = key[len(prefix) :]
    if relative == "" or relative.endswith("/"):
        return None, None  # folder marker objects that S3 consoles create
    parts = relative.split("/")
    if len(parts) == 1:
        return None, "not inside a month folder: put it in a YYYY-MM/ folder"
    folder = parts[0]
    if not MONTH_PATTERN.match(folder):
        return None, _folder_hint(folder)
    if len(parts) > 2:
        return None, f"nested too deep: files must be directly inside {folder}/, not in sub-folders"
    name = parts[1].lower()
    if not name.endswith(SUPPORTED_EXTENSIONS):
        extension = "." + name.rsplit(".", 1)[1] if "." in name else "(no extension)"
        return None, f"{extension} is not supported: only .csv and .csv.gz files are read"
    return folder, None


def discover(objects: Iterable[StoredObject], prefix: str, location: str) -> Discovery:
    """Sort a listing into billing files by month and ignored objects; fail if no billing period exists."""
    discovery = Discovery()
    month_folders: set[str] = set()
    for item in objects:
        if item.key.endswith("/"):
            discovery.folders += 1
        else:
            discovery.listed += 1
        month, reason = classify(item.key, prefix)
        if reason is not None:
            discovery.ignored.append(IgnoredObject(item.key, reason))
        relative_parts = item.key[len(prefix) :].split("/")
        if len(relative_parts) > 1 and MONTH_PATTERN.match(relative_parts[0]):
            month_folders.add(relative_parts[0])
        if month is not None:
            discovery.files_by_month.setdefault(month, []).append(BillingFile(item, month))
    for folder in month_folders:
        discovery.files_by_month.setdefault(folder, [])
    if not discovery.files_by_month:
        folders = f" and {plural(discovery.folders, 'folder')}" if discovery.folders else ""
        seen = (
            (f"no file, only {plural(discovery.folders, 'folder')}" if discovery.folders else "nothing")
            + " (no folder is named YYYY-MM)"
            if discovery.listed == 0
            else (
                f"{plural(discovery.listed, 'file')}{folders}, none in a month folder; for example:\n"
                + "\n".join(f"  - {entry.key}: {entry.reason}" for entry in discovery.ignored[:5])
            )
        )
        raise SourceError(f"No billing periods found in {location}. Saw {seen}\nExpected layout: {EXPECTED_LAYOUT}")
    return discovery
