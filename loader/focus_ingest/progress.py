"""Progress of long reads: a redrawn status line on a terminal, plain log lines otherwise.

The tool mostly runs from cron and CI, where a redrawn line is noise: there it logs a line every few
seconds per file. A person at a terminal sees one line updated in place (files done / total, rows, bytes).
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field

logger = logging.getLogger("focus_ingest.progress")

INTERVAL_SECONDS = 5.0  # between log lines (cron, CI)
TERMINAL_INTERVAL_SECONDS = 0.5  # between redraws of the status line (a terminal)


def plural(count: int, noun: str) -> str:
    """`1 row`, `2,000 rows`: counts in messages read as English."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def human_bytes(count: float) -> str:
    """1536 -> '1.5 KB'. The unit is chosen after rounding, so 1,048,575 bytes is '1.0 MB', not '1024.0 KB'."""
    for unit in ("B", "KB", "MB", "GB"):
        if round(count, 0 if unit == "B" else 1) < 1024 or unit == "GB":
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
    on_terminal: bool = field(default_factory=lambda: sys.stderr.isatty() and logger.isEnabledFor(logging.INFO))
    _last_log: float = field(default_factory=time.monotonic)

    def fetched(self, bytes_done: int) -> None:
        self.bytes_done = bytes_done
        self._maybe_log()

    def read(self, rows: int) -> None:
        self.rows_done += rows
        self._maybe_log()

    def done(self) -> None:
        """Clear the status line, so that the next log line starts on a clean line."""
        if self.on_terminal:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if now - self._last_log < (TERMINAL_INTERVAL_SECONDS if self.on_terminal else INTERVAL_SECONDS):
            return
        self._last_log = now
        fetched = human_bytes(self.bytes_done)
        share = f" ({100 * self.bytes_done / self.total_bytes:.0f}%)" if self.total_bytes else ""
        if self.on_terminal:
            sys.stderr.write(
                f"\r\033[K{self.label}: {fetched} of {human_bytes(self.total_bytes)} fetched, "
                f"{plural(self.rows_done, 'row')} read"
            )
            sys.stderr.flush()
        elif self.rows_done:
            logger.info("%s: %s read", self.label, plural(self.rows_done, "row"))
        else:
            logger.info("%s: %s of %s fetched%s", self.label, fetched, human_bytes(self.total_bytes), share)
