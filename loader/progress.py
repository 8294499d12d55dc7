"""Progress of long reads as log lines, at most one every few seconds per file.

Log lines (not a redrawn bar) because the tool mostly runs from cron and CI, where a bar is noise.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

logger = logging.getLogger("loader.progress")

INTERVAL_SECONDS = 5.0


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


@dataclass
class FileProgress:
    """Bytes fetched and rows read of one file; logs when `INTERVAL_SECONDS` have passed since the last line."""

    label: str
    total_bytes: int
    bytes_done: int = 0
    rows_done: int = 0
    _last_log: float = field(default_factory=time.monotonic)

    def fetched(self, bytes_done: int) -> None:
        self.bytes_done = bytes_done
        self._maybe_log()

    def read(self, rows: int) -> None:
        self.rows_done += rows
        self._maybe_log()

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if now - self._last_log < INTERVAL_SECONDS:
            return
        self._last_log = now
        if self.rows_done:
            logger.info("%s: %s rows read", self.label, f"{self.rows_done:,}")
        else:
            share = f" ({100 * self.bytes_done / self.total_bytes:.0f}%)" if self.total_bytes else ""
            logger.info(
                "%s: %s of %s fetched%s",
                self.label,
                human_bytes(self.bytes_done),
                human_bytes(self.total_bytes),
                share,
            )
