"""What a run will read: list a data source, compare with the known versions by ETag; and the run's summary.

Apart from the load (pipeline.py) because it needs no dlt: `validate` plans its scratch files with it, and
importing dlt costs ~0.5 s of every `validate` (`python -X importtime`, BENCHMARKS.md).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from focus_ingest.discovery import BillingFile, discover
from focus_ingest.errors import SourceError
from focus_ingest.known_versions import KnownVersion
from focus_ingest.raw_tables import VersionEvent
from focus_ingest.reading import ReadOptions
from focus_ingest.settings import DataSource, RunSettings
from focus_ingest.sources import open_store
from focus_ingest.stores import Store

logger = logging.getLogger("focus_ingest.pipeline")  # the loader's log lines keep their logger's name

REPORTED_ITEMS = 50  # per list in the summary; counts are always complete


@dataclass
class SourceReport:
    """What happened to one data source in this run (part of the summary and of `--json`)."""

    name: str
    location: str
    profile: str
    failed: str | None = None
    periods_found: list[str] = field(default_factory=list)
    periods_processed: list[str] = field(default_factory=list)
    periods_skipped: list[str] = field(default_factory=list)
    files_new: int = 0
    files_changed: int = 0
    files_unchanged: int = 0
    files_deleted: int = 0
    files_ignored: int = 0
    files_unreadable: int = 0
    files_retry: int = 0
    rows_loaded: int = 0
    bytes_downloaded: int = 0
    objects_downloaded: int = 0
    ignored: list[dict[str, str]] = field(default_factory=list)
    ignored_reasons: dict[str, int] = field(default_factory=dict)  # complete, unlike the examples above
    unreadable: list[dict[str, object]] = field(default_factory=list)
    retry: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RunSummary:
    run_id: str
    as_of: str
    first_month: str
    database: str
    sources: list[SourceReport]
    rows_retracted: int = 0  # raw rows that no longer count, removed by the clean-up (raw_cleanup.py)
    seconds: float = 0.0
    changed: bool = False  # whether the data under the marts changed (else a dbt build can be skipped)

    @property
    def failed(self) -> bool:
        return any(source.failed for source in self.sources)

    def total(self, counter: str) -> int:
        return sum(getattr(source, counter) for source in self.sources)

    def totals(self) -> dict[str, int]:
        counters = [
            "files_new",
            "files_changed",
            "files_unchanged",
            "files_deleted",
            "files_ignored",
            "files_unreadable",
            "files_retry",
            "rows_loaded",
            "bytes_downloaded",
            "objects_downloaded",
        ]
        totals = {name: self.total(name) for name in counters}
        totals["periods_found"] = sum(len(s.periods_found) for s in self.sources)
        totals["periods_skipped"] = sum(len(s.periods_skipped) for s in self.sources)
        totals["rows_retracted"] = self.rows_retracted
        return totals

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "as_of": self.as_of,
            "first_month": self.first_month,
            "database": self.database,
            "seconds": round(self.seconds, 3),
            "ok": not self.failed,
            "changed": self.changed,
            "totals": self.totals(),
            "sources": [asdict(source) for source in self.sources],
        }


@dataclass
class SourcePlan:
    """The files of one source that this run reads, and what it already knows to be unchanged or gone."""

    source: DataSource
    report: SourceReport
    store: Store | None = None
    to_read: list[BillingFile] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    events: list[VersionEvent] = field(default_factory=list)  # what the reading learned, in plan order
    read_finished: bool = False


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def read_limits(options: ReadOptions) -> str:
    """The per-file limits in force, as recorded with each version read (raw.file_versions.read_limits)."""
    return json.dumps(
        {name: getattr(options, name) for name in ("max_file_bytes", "max_file_rows", "max_record_bytes")},
        sort_keys=True,
    )


def _read_again(previous: KnownVersion, settings: RunSettings, limits: str) -> bool:
    """A rejected version is read again on `--retry-rejected`, or when the per-file limits have changed."""
    return previous.status == "rejected" and (settings.retry_rejected or previous.read_limits != limits)


def plan_source(
    source: DataSource,
    settings: RunSettings,
    known: dict[str, KnownVersion],
    work_dir: Path,
    limits: str,
    concurrent_fetches: int = 1,
) -> SourcePlan:
    """List the source and compare with the known versions; a `SourceError` marks the source failed."""
    report = SourceReport(name=source.name, location=source.location, profile=source.profile)
    plan = SourcePlan(source=source, report=report)
    try:
        store = open_store(source, work_dir, concurrent_fetches)
        plan.store = store
        found = discover(store.list_objects(), store.prefix, source.location)
    except SourceError as error:
        report.failed = str(error)
        logger.error("data source %s: %s", source.name, error)
        return plan
    report.files_ignored = len(found.ignored)
    report.ignored = [{"key": i.key, "reason": i.reason} for i in found.ignored[:REPORTED_ITEMS]]
    report.ignored_reasons = dict(Counter(i.reason for i in found.ignored))
    report.periods_found = found.months
    first_month = settings.first_month
    listed_in_window: set[str] = set()
    for month in found.months:
        if month < first_month:
            report.periods_skipped.append(month)
            continue
        report.periods_processed.append(month)
        for billing_file in found.files_by_month[month]:
            item = billing_file.item
            listed_in_window.add(item.key)
            previous = known.get(item.key)
            if previous is not None and previous.etag == item.etag and not _read_again(previous, settings, limits):
                report.files_unchanged += 1
                plan.unchanged.append((item.key, item.etag))
                continue
            if previous is not None and previous.etag == item.etag:
                logger.info("%s: rejected earlier; read again (--retry-rejected or other per-file limits)", item.key)
            plan.to_read.append(billing_file)
    plan.deleted = sorted(
        key for key, version in known.items() if version.billing_month >= first_month and key not in listed_in_window
    )
    report.files_deleted = len(plan.deleted)
    return plan
