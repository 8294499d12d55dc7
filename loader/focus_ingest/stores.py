"""Where files come from: a uniform listing and fetching interface over S3 and local folders.

The rest of the loader sees only `StoredObject`s and local paths, so discovery, change detection and reading
are the same code for a bucket, an on-premises export folder and the demo. `focus_ingest.sources` picks the
store of a data source.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from focus_ingest.errors import SourceError, TransientFileError


@dataclass(frozen=True)
class StoredObject:
    """One listed object: its key relative to the bucket (or folder) and its version fingerprint."""

    key: str
    etag: str
    size: int
    last_modified: datetime


# Called with the number of bytes fetched so far, for progress reporting.
ByteProgress = Callable[[int], None]


class Store(Protocol):
    """A listable, readable place holding month folders."""

    location: str
    prefix: str

    def list_objects(self) -> Iterator[StoredObject]:
        """Every object below the prefix, in any order."""
        ...

    def fetch(self, item: StoredObject, on_progress: ByteProgress) -> contextlib.AbstractContextManager[Path]:
        """A local path holding exactly the listed version of the object, for the duration of the context.

        Safe to call from several threads at once.
        """
        ...


class LocalFolderStore:
    """A folder laid out like the bucket: `<folder>/YYYY-MM/*.csv[.gz]`.

    The version fingerprint is size and modification time in nanoseconds, which changes whenever the
    file is rewritten and costs no read (hashing every file on every run would make no-op runs slow).
    """

    def __init__(self, folder: Path) -> None:
        self.root = folder.resolve()
        self.location = str(self.root)
        self.prefix = ""
        if not self.root.is_dir():
            raise SourceError(
                f"Folder {self.root} does not exist or is not a folder. Expected layout: "
                f"{self.root}/YYYY-MM/<files>.csv or .csv.gz"
            )

    def list_objects(self) -> Iterator[StoredObject]:
        for path in sorted(self.root.rglob("*")):
            stat = path.stat()
            if path.is_dir():  # like an S3 folder marker: an empty month folder is still a billing period
                yield StoredObject(path.relative_to(self.root).as_posix() + "/", "", 0, datetime.fromtimestamp(0, UTC))
                continue
            yield StoredObject(
                key=path.relative_to(self.root).as_posix(),
                etag=f"{stat.st_size}-{stat.st_mtime_ns}",
                size=stat.st_size,
                last_modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            )

    @contextlib.contextmanager
    def fetch(self, item: StoredObject, on_progress: ByteProgress) -> Iterator[Path]:
        path = self.root / item.key
        stat = path.stat()
        if f"{stat.st_size}-{stat.st_mtime_ns}" != item.etag:
            raise TransientFileError(f"{item.key} changed while this run was reading it; it is read next run.")
        on_progress(item.size)
        yield path

