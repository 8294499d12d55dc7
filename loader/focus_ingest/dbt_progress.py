"""dbt's events turned into the loader's kind of progress: stderr only, no node lines unless asked.

dbt writes nothing to the console (`--log-level none`; its full log still goes to `dbt.log`); this
callback of `dbtRunner` sees every event instead. On a terminal it redraws one status line; elsewhere
(cron, CI) it logs a line every few seconds and one at the end. Each node's result line is logged only
with `--verbose`. Errors are kept, without dbt's Python tracebacks, for the message that ends the build.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from focus_ingest.progress import INTERVAL_SECONDS, TERMINAL_INTERVAL_SECONDS

logger = logging.getLogger("focus_ingest.dbt")

RESULT_EVENTS = {
    "LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult", "LogNodeResult", "SkippingDetails",
}  # fmt: skip
FAILED_STATUSES = {"error", "fail", "skipped", "runtime error"}
# An exception's Python traceback: logged with --verbose only.
TRACEBACK_EVENTS = {"MainStackTrace", "GenericExceptionOnRun", "InternalErrorOnRun"}
KEPT_ERRORS = 5
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _clean(text: str) -> str:
    return _ANSI.sub("", text).strip()


@dataclass
class DbtProgress:
    """Called by dbt with each event (`dbtRunner(callbacks=[progress])`)."""

    verbose: bool = False
    quiet: bool = False  # errors only: no status line, no progress lines
    on_terminal: bool = field(default_factory=lambda: sys.stderr.isatty() and logger.isEnabledFor(logging.INFO))
    done: int = 0
    total: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    stats: str = ""
    _started: float = field(default_factory=time.monotonic)
    _last_shown: float = field(default_factory=time.monotonic)

    def __call__(self, event: Any) -> None:
        name, level, message = event.info.name, event.info.level, event.info.msg
        if name in RESULT_EVENTS:
            self._result(event.data, message)
        elif name in TRACEBACK_EVENTS:
            logger.debug("dbt: %s", message)
        elif name == "StatsLine":
            self.stats = _clean(message).removeprefix("Done.").strip()
        elif level == "error":
            self._error(message)
        elif self.verbose and level in ("info", "warn") and message.strip():
            logger.info("dbt: %s", _clean(message))

    def _result(self, data: Any, message: str) -> None:
        self.done += 1
        self.total = max(self.total, int(getattr(data, "total", 0) or 0))
        if str(getattr(data, "status", "")).lower() in FAILED_STATUSES:
            self.failed += 1
        if self.verbose:
            logger.info("dbt: %s", _clean(message))
        else:
            self._show()

    def _error(self, message: str) -> None:
        text = _clean(message)
        if not text or text in self.errors:
            return
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append(text)
        logger.debug("dbt: %s", text)

    def _show(self) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if now - self._last_shown < (TERMINAL_INTERVAL_SECONDS if self.on_terminal else INTERVAL_SECONDS):
            return
        self._last_shown = now
        line = f"dbt build: {self.done}/{self.total or '?'} models, seeds and tests done, {self.failed} failed"
        if self.on_terminal:
            sys.stderr.write(f"\r\033[K{line}")
            sys.stderr.flush()
        else:
            logger.info("%s", line)

    def finish(self) -> None:
        """Clear the status line and log how the build ended, in one line."""
        if self.quiet:
            return
        if self.on_terminal:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
        seconds = time.monotonic() - self._started
        if self.stats:
            logger.info("dbt build: %d nodes in %.1f s (%s)", self.done, seconds, self.stats)
        else:
            logger.info("dbt build: stopped after %.1f s, %d nodes done", seconds, self.done)
