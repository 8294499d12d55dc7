"""One import cycle: per data source, list it, decide what to read by ETag, and load one dlt package.

"Nothing lost, nothing double-counted" is dlt's commit: each data source has its own pipeline, and a run
loads one package per data source that carries the rows of the versions it read together with their
events (focus_source.py). The package counts once dlt has written its row in `raw._dlt_loads`, which it
does last. A run first finishes the package a killed run left (or aborts it, when it cannot be loaded),
then learns what is known from the events of completed loads only (known_versions.py), so a version whose
package never completed is simply read again. Rows that no longer count are removed afterwards by an
optional clean-up (raw_cleanup.py) that no mart depends on; on a lake (`--lake`, destinations.py) the
superseded Parquet files stay until `focus-ingest vacuum --lake` (vacuum.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pyarrow as pa
from dlt.common.normalizers.naming.snake_case import NamingConvention
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.exceptions import PipelineStepFailed

from focus_ingest import destinations, raw_cleanup, state
from focus_ingest.dbt_build import project_dir
from focus_ingest.discovery import BillingFile
from focus_ingest.errors import SourceError, TransientFileError
from focus_ingest.focus_catalog import text_column_hints
from focus_ingest.focus_source import focus_files
from focus_ingest.known_versions import KnownVersion, current_versions, has_event_log, latest_data_source
from focus_ingest.planning import (
    REPORTED_ITEMS,
    RunSummary,
    SourcePlan,
    SourceReport,
    new_run_id,
    plan_source,
    read_limits,
)
from focus_ingest.progress import FileProgress, plural
from focus_ingest.raw_tables import RunFacts, VersionEvent
from focus_ingest.reading import (
    ROW_NUMBER_COLUMN,
    CsvReader,
    Lineage,
    ReadOptions,
    UnreadableFile,
    column_key,
    lineage_values,
    plain_csv,
    read_header,
)
from focus_ingest.settings import DataSource, Lake, RunSettings
from focus_ingest.stores import Store, StoredObject

logger = logging.getLogger(__name__)

PIPELINE_PREFIX = "focus_ingest__"  # + the data source's slug: one dlt pipeline per data source
# Listed bytes that may be downloaded ahead of the file being read (disk for the local copies); one file
# is always fetched, however large.
PREFETCH_BYTES = 256 * 1024**2
# Small files read together in one DuckDB scan: at most this large each, this many, this large in all.
GROUP_FILE_BYTES = 256 * 1024  # a larger file is read alone, streamed, with its progress logged
GROUP_FILES = 256
GROUP_BYTES = 16 * 1024**2


class _Fetch:
    """One file's download, started in the fetch pool ahead of its turn to be read."""

    def __init__(self, pool: ThreadPoolExecutor, store: Store, item: StoredObject, progress: FileProgress) -> None:
        self.progress = progress
        self._context: contextlib.AbstractContextManager[Path] = store.fetch(item, progress.fetched)
        self._future: Future[Path] = pool.submit(self._context.__enter__)

    def path(self) -> Path:
        """The local copy; raises what the download raised (`TransientFileError`, `SourceError`, ...)."""
        return self._future.result()

    def release(self) -> None:
        """Delete the local copy (waits for a download still under way; one not yet started is dropped)."""
        if self._future.cancel():
            return
        try:
            self._future.result()
        except Exception:  # a download that failed left nothing to release
            return
        self._context.__exit__(None, None, None)


@dataclass
class _Prepared:
    """A file ready to be read: its plain CSV on local disk, its size and its validated header."""

    billing_file: BillingFile
    lineage: Lineage
    progress: FileProgress
    path: Path
    size: int
    header: list[str]
    resources: contextlib.ExitStack  # the download and the inflated copy
    closed: bool = False

    def close(self) -> None:
        """Delete the local copies; idempotent."""
        if not self.closed:
            self.closed = True
            self.resources.close()
            self.progress.done()


class _Reader:
    """Feeds dlt the record batches of every planned file and remembers each file's outcome.

    Downloads run in a bounded pool (`--max-concurrent-fetches`) ahead of the reading, which handles the
    files in plan order, so every outcome is the one a sequential run would record. Consecutive small files
    with the same header are read in one DuckDB scan (falling back to one scan each when that fails, which
    finds the bad file and its line), and their rows are gathered into tables of up to `--batch-rows` rows
    before dlt sees them: both DuckDB's and dlt's costs are per call, and each row carries its own lineage.
    """

    def __init__(
        self,
        scratch: Path,
        known: dict[str, KnownVersion],
        run_id: str,
        options: ReadOptions,
        files_total: int,
    ) -> None:
        self.scratch = scratch
        self.known = known
        self.run_id = run_id
        self.options = options
        self.files_total = files_total
        self.files_started = 0

    def batches(self, plan: SourcePlan) -> Iterator[pa.Table]:
        """The rows of the plan's files in tables of about `--batch-rows`; `plan.read_finished` once done.

        A plan that yields no row still yields one empty table with the lineage columns, so that dlt creates
        raw.focus_rows with every declared FOCUS column on a data source's first load.
        """
        gathered: list[pa.RecordBatch] = []
        gathered_rows = 0
        yielded = False
        with CsvReader(self.options) as csv_reader, ThreadPoolExecutor(self.options.max_concurrent_fetches) as pool:
            for batch in self._read_source(plan, pool, csv_reader):
                gathered.append(batch)
                gathered_rows += batch.num_rows
                if gathered_rows >= self.options.batch_rows:
                    yield _one_table(gathered)
                    yielded = True
                    gathered, gathered_rows = [], 0
        if gathered:
            yield _one_table(gathered)
        elif not yielded:
            yield _EMPTY_ROWS
        plan.read_finished = True

    def _read_source(
        self, plan: SourcePlan, pool: ThreadPoolExecutor, csv_reader: CsvReader
    ) -> Iterator[pa.RecordBatch]:
        group: list[_Prepared] = []
        try:
            with contextlib.closing(self._fetched_in_order(plan, pool)) as fetched:
                for billing_file, fetch in fetched:
                    prepared = self._prepare(plan, billing_file, fetch)
                    if prepared is None:
                        if plan.report.failed:
                            break
                        continue
                    small = prepared.size <= GROUP_FILE_BYTES
                    if group and not (small and _joins(group, prepared)):
                        yield from self._read_group(plan, group, csv_reader)
                        group = []
                    if small:
                        group.append(prepared)
                    else:
                        yield from self._read_alone(plan, prepared, csv_reader)
            yield from self._read_group(plan, group, csv_reader)  # the files before a failure still count
        finally:
            for prepared in group:
                prepared.close()

    def _fetched_in_order(self, plan: SourcePlan, pool: ThreadPoolExecutor) -> Generator[tuple[BillingFile, _Fetch]]:
        """The plan's files with their downloads, in plan order; a few downloads run ahead of the reader.

        Ahead means at most `--max-concurrent-fetches` files and `PREFETCH_BYTES` of them (bounded disk for
        large files). The caller releases each fetch it receives; what is still ahead when the source fails
        or the run stops is released here.
        """
        store = plan.store
        files = plan.to_read
        started = 0
        ahead: deque[tuple[BillingFile, _Fetch]] = deque()
        ahead_bytes = 0
        try:
            while True:
                while store is not None and started < len(files) and not plan.report.failed:
                    billing_file = files[started]
                    too_many = len(ahead) >= self.options.max_concurrent_fetches
                    if ahead and (too_many or ahead_bytes + billing_file.item.size > PREFETCH_BYTES):
                        break
                    ahead.append((billing_file, self._start_fetch(plan, store, billing_file, pool)))
                    ahead_bytes += billing_file.item.size
                    started += 1
                if not ahead or plan.report.failed:
                    return
                billing_file, fetch = ahead.popleft()
                ahead_bytes -= billing_file.item.size
                yield billing_file, fetch
        finally:
            for _, fetch in ahead:
                fetch.release()

    def _start_fetch(
        self, plan: SourcePlan, store: Store, billing_file: BillingFile, pool: ThreadPoolExecutor
    ) -> _Fetch:
        self.files_started += 1
        label = f"[{self.files_started}/{self.files_total}] {plan.source.name}:{billing_file.item.key}"
        return _Fetch(pool, store, billing_file.item, FileProgress(label, billing_file.item.size))

    def _prepare(self, plan: SourcePlan, billing_file: BillingFile, fetch: _Fetch) -> _Prepared | None:
        """The downloaded file inflated and its header checked; None when that already decided its outcome."""
        item = billing_file.item
        resources = contextlib.ExitStack()
        resources.callback(fetch.release)
        header: list[str] | None = None
        try:
            fetched = fetch.path()
            plan.report.objects_downloaded += 1
            plan.report.bytes_downloaded += item.size
            path = resources.enter_context(plain_csv(fetched, billing_file.is_gzip, self.options, self.scratch))
            header = read_header(path)
            lineage = Lineage(plan.source.name, item.key, item.etag, billing_file.month, self.run_id)
            return _Prepared(billing_file, lineage, fetch.progress, path, path.stat().st_size, header, resources)
        except (UnreadableFile, TransientFileError, SourceError) as error:
            resources.close()
            fetch.progress.done()
            self._not_loaded(plan, billing_file, error, header)
            return None
        except BaseException:
            resources.close()
            raise

    def _read_group(self, plan: SourcePlan, group: list[_Prepared], csv_reader: CsvReader) -> Iterator[pa.RecordBatch]:
        """Small files with one header: one scan for all, or one scan each when that one fails."""
        try:
            together = None
            if len(group) > 1:
                together = csv_reader.read_together([(p.path, p.lineage) for p in group], group[0].header)
            if together is None:
                for prepared in group:
                    yield from self._read_alone(plan, prepared, csv_reader)
                return
            for prepared, batch in zip(group, together, strict=True):
                prepared.progress.read(batch.num_rows)
                prepared.close()
                if batch.num_rows:
                    yield batch
                self._loaded(plan, prepared, batch.num_rows)
        finally:
            for prepared in group:
                prepared.close()

    def _read_alone(self, plan: SourcePlan, prepared: _Prepared, csv_reader: CsvReader) -> Iterator[pa.RecordBatch]:
        """The file's batches; a file smaller than `--batch-rows` is held back until it has been read whole,
        so that a file rejected at its last line never reaches dlt (a larger one's rows never count: its event
        is `rejected`)."""
        rows = 0
        held: list[pa.RecordBatch] = []
        try:
            for batch in csv_reader.batches(prepared.path, prepared.header, prepared.lineage):
                rows += batch.num_rows
                prepared.progress.read(batch.num_rows)
                held.append(batch)
                if rows >= self.options.batch_rows:
                    yield from held
                    held.clear()
        except UnreadableFile as error:
            self._not_loaded(plan, prepared.billing_file, error, prepared.header)
            return
        finally:
            prepared.close()
        yield from held
        self._loaded(plan, prepared, rows)

    def _loaded(self, plan: SourcePlan, prepared: _Prepared, rows: int) -> None:
        plan.report.rows_loaded += rows
        logger.info("%s:%s: %s", plan.source.name, prepared.billing_file.item.key, plural(rows, "row"))
        self._record(plan, prepared.billing_file, "loaded", row_count=rows, header=prepared.header)

    def _not_loaded(
        self,
        plan: SourcePlan,
        billing_file: BillingFile,
        error: UnreadableFile | TransientFileError | SourceError,
        header: list[str] | None,
    ) -> None:
        """Rejected (unreadable), left for the next run (transient), or the whole source failed."""
        item = billing_file.item
        report = plan.report
        if isinstance(error, UnreadableFile):
            logger.warning("%s:%s: rejected, unreadable: %s", plan.source.name, item.key, error)
            report.files_unreadable += 1
            if len(report.unreadable) < REPORTED_ITEMS:
                report.unreadable.append({"key": item.key, "reason": error.reason, "line": error.line})
            self._record(plan, billing_file, "rejected", error=error.reason, error_line=error.line, header=header)
        elif isinstance(error, TransientFileError):
            logger.warning("%s:%s: not read this run: %s", plan.source.name, item.key, error)
            report.files_retry += 1
            if len(report.retry) < REPORTED_ITEMS:
                report.retry.append({"key": item.key, "reason": str(error)})
        else:
            logger.error("data source %s: %s", plan.source.name, error)
            report.failed = str(error)

    def _record(
        self,
        plan: SourcePlan,
        billing_file: BillingFile,
        status: str,
        *,
        row_count: int | None = None,
        error: str | None = None,
        error_line: int | None = None,
        header: list[str] | None = None,
    ) -> None:
        item = billing_file.item
        plan.events.append(
            VersionEvent(
                data_source=plan.source.name,
                key=item.key,
                etag=item.etag,
                billing_month=billing_file.month,
                event=status,
                size=item.size,
                last_modified=item.last_modified,
                row_count=row_count,
                error=error,
                error_line=error_line,
                header=tuple(header) if header is not None else None,
                column_keys=tuple(column_key(name) for name in header) if header is not None else None,
                read_limits=read_limits(self.options),
            )
        )
        previous = self.known.get(item.key)
        if previous is None:
            plan.report.files_new += 1
        else:
            plan.report.files_changed += 1


def _joins(group: list[_Prepared], prepared: _Prepared) -> bool:
    """Whether a small file may be read in the same scan as the group: same header, group not full."""
    return (
        prepared.header == group[0].header
        and len(group) < GROUP_FILES
        and sum(member.size for member in group) + prepared.size <= GROUP_BYTES
    )


def _one_table(batches: list[pa.RecordBatch]) -> pa.Table:
    """The batches of several files as one table; a column some files lack is null in their rows, as dlt
    would have stored it had each file's batches come separately."""
    if len({batch.schema for batch in batches}) == 1:
        return pa.Table.from_batches(batches)
    return pa.concat_tables([pa.Table.from_batches([batch]) for batch in batches], promote_options="default")


_naming = NamingConvention()
# The rows resource of a plan that read no row: the lineage columns only (dlt adds the declared FOCUS ones).
_EMPTY_ROWS = pa.table(
    {
        **{name: pa.array([], pa.string()) for name in lineage_values(Lineage("", "", "", "", ""))},
        ROW_NUMBER_COLUMN: pa.array([], pa.int64()),
    }
)


def source_slug(data_source: str) -> str:
    """dlt's snake_case of the data source name plus 6 hex of its sha256, so that two names with the same
    snake_case get their own pipeline and schema."""
    digest = hashlib.sha256(data_source.encode("utf-8")).hexdigest()[:6]
    return f"{_naming.normalize_identifier(data_source)}_{digest}"


def schema_name_of(data_source: str) -> str:
    """The dlt schema of a data source's pipeline: it names the source's rows in `raw._dlt_loads`."""
    return f"focus_{source_slug(data_source)}"


def _configure_dlt() -> None:
    """dlt settings through its own environment conventions; tuning only as defaults the user may override."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # no phoning home from a billing tool
    # dlt hands the batches to DuckDB through Parquet files; lz4 writes them ~30% faster than dlt's
    # snappy at the same size (measured, BENCHMARKS.md).
    os.environ.setdefault("DATA_WRITER__COMPRESSION", "lz4")
    # One insert at a time: DuckDB has one writer, and parallel inserts under --memory-limit evict each
    # other's memory (2M rows: 41 s with dlt's default workers, 28-34 s with one; BENCHMARKS.md).
    os.environ.setdefault("LOAD__WORKERS", "1")
    # Correctness, not tuning, so not left to the user: every raw row carries the load id that makes it
    # count, and the event tables are extracted after the rows (focus_source.py).
    os.environ["NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID"] = "true"
    os.environ["EXTRACT__NEXT_ITEM_MODE"] = "fifo"


def pipeline_for(
    data_source: str, database: Path, work_dir: Path, memory_limit: str, lake: Lake | None = None
) -> dlt.Pipeline:
    """The data source's own dlt pipeline into the `raw` dataset: of the database, or of the lake."""
    _configure_dlt()
    slug = source_slug(data_source)
    return dlt.pipeline(
        pipeline_name=PIPELINE_PREFIX + slug,
        destination=destinations.dlt_destination(database, lake, memory_limit, slug),
        dataset_name=state.RAW_SCHEMA,
        pipelines_dir=str(destinations.pipelines_dir(work_dir, lake)),
    )


def _finish_pending(pipeline: dlt.Pipeline, data_source: str) -> bool:
    """Load the package a killed run left (dlt resumes where it stopped); abort it when that fails.

    Returns whether a package completed. A run killed during extraction leaves only an uncommitted folder
    that dlt never loads: its files are simply read again.
    """
    if not pipeline.has_pending_data:
        return False
    logger.info("data source %s: finishing the load an interrupted run left", data_source)
    try:
        finished: LoadInfo | None = pipeline.run()  # None (typed otherwise) when dlt dropped the package
    except PipelineStepFailed as error:
        cause = _root_cause(error)
        logger.warning(
            "data source %s: the load an interrupted run left cannot be finished (%s: %s); it is discarded "
            "and its files are read again",
            data_source, type(cause).__name__, cause,
        )  # fmt: skip
        pipeline.abort_packages()
        return False
    if finished is None:  # dlt dropped it: nothing of it had reached a database that has no raw layer yet
        logger.info("data source %s: the interrupted run had loaded nothing; its files are read again", data_source)
        return False
    return True


def _root_cause(error: BaseException) -> BaseException:
    """dlt wraps an error in a resource once per layer; the innermost one is what a person can act on."""
    while isinstance(inner := error.__cause__ or getattr(error, "exception", None), BaseException):
        error = inner
    return error


def work_dir_for(database: Path) -> Path:
    """Scratch space beside the database: dlt's working folder and downloads in progress."""
    return database.resolve().parent / ".focus-ingest" / database.name


@dataclass(frozen=True)
class RunContext:
    """What the loads of one run's data sources share; picklable, so that a worker process gets it whole."""

    run_id: str
    started_at: datetime
    settings: RunSettings
    options: ReadOptions
    work_dir: Path

    @property
    def downloads(self) -> Path:
        return self.work_dir / "downloads"


@dataclass(frozen=True)
class SourceOutcome:
    """One data source's part of a run: its report, and whether it may have changed the data under the marts."""

    report: SourceReport
    changed: bool


def run_load(settings: RunSettings, options: ReadOptions | None = None) -> RunSummary:
    """Run one import cycle for every data source and return what happened.

    The data sources load one after another, or `settings.workers` at a time in worker processes
    (workers.py; a lake only). The caller holds `state.run_lock` (the CLI, for the load and the build that
    follows it).
    """
    options = options or ReadOptions()
    started = time.monotonic()
    now = datetime.now(UTC)
    database = settings.database
    destinations.check_database_fits(database, settings.lake, bind=True)
    run = RunContext(new_run_id(now), now, settings, options, work_dir_for(database))
    run.downloads.mkdir(parents=True, exist_ok=True)
    for leftover in run.downloads.iterdir():  # downloads of a killed run (this run holds the database's lock)
        leftover.unlink(missing_ok=True)
    target = database if settings.lake is None else f"the lake {settings.lake}"
    logger.info("run %s: months from %s (as of %s) into %s", run.run_id, settings.first_month, settings.as_of, target)
    if settings.workers > 1 and len(settings.sources) > 1:
        from focus_ingest.workers import load_in_workers  # the process machinery only where it is used

        outcomes = load_in_workers(run)
    else:
        outcomes = [load_source(run, source) for source in settings.sources]
    summary = RunSummary(
        run_id=run.run_id,
        as_of=settings.as_of.isoformat(),
        first_month=settings.first_month,
        database=str(database),
        sources=[outcome.report for outcome in outcomes],
        changed=any(outcome.changed for outcome in outcomes),
    )
    # Every run, not only one that loaded: a run killed after dlt's commit left its clean-up undone, and
    # the check is two counts when there is nothing to remove. The lake's files stay (they do not count)
    # until `vacuum --lake`.
    if settings.lake is None:
        with state.connect(database) as connection:
            summary.rows_retracted = raw_cleanup.remove_rows_that_do_not_count(connection)
    summary.seconds = time.monotonic() - started
    return summary


def load_source(run: RunContext, source: DataSource) -> SourceOutcome:
    """One data source's import cycle with its own dlt pipeline: finish what a killed run left, plan by ETag,
    load one package. A failure of the source (listing, clock, a dlt step) is its report's `failed`."""
    settings = run.settings
    pipeline = pipeline_for(source.name, settings.database, run.work_dir, run.options.memory_limit, settings.lake)
    changed = _finish_pending(pipeline, source.name)
    slug, schema = source_slug(source.name), schema_name_of(source.name)
    # closed before dlt opens the database
    with destinations.raw_layer(settings.database, settings.lake, slug, schema) as connection:
        known = current_versions(connection, source.name)
        recorded = latest_data_source(connection, source.name)
        latest_load = _latest_completed_load(connection, settings.lake, schema)
    limits = read_limits(run.options)
    plan = plan_source(source, settings, known, run.downloads, limits, run.options.max_concurrent_fetches)
    report = plan.report
    if report.failed or not (plan.to_read or plan.deleted or recorded != (source.location, source.profile)):
        return SourceOutcome(report, changed)  # nothing to load: no package, so no new data version
    clock_error = _clock_behind(latest_load)
    if clock_error is not None:
        report.failed = clock_error
        logger.error("data source %s: %s", source.name, clock_error)
        return SourceOutcome(report, changed)
    reader = _Reader(run.downloads, known, run.run_id, run.options, len(plan.to_read))
    facts = _facts_of(plan, known, run.run_id, run.started_at, settings)
    package = focus_files(schema, reader.batches(plan), text_column_hints(project_dir()), facts)
    try:
        pipeline.run(package, loader_file_format="parquet")
    except PipelineStepFailed as error:
        cause = _root_cause(error)
        report.failed = (
            f"its load failed at dlt's {error.step} step: {type(cause).__name__}: {cause}. Nothing of this data "
            "source's run counts: the next run finishes its load or reads its files again."
        )
        logger.error("data source %s: %s", source.name, report.failed)
        return SourceOutcome(report, changed)
    return SourceOutcome(report, True)


def _latest_completed_load(
    connection: duckdb.DuckDBPyConnection, lake: Lake | None, schema_name: str
) -> Decimal | None:
    """The largest load id of the data source's completed loads (ids are times; exact as numbers)."""
    if lake is not None:
        load_ids = destinations.completed_load_ids(lake, schema_name)
    elif has_event_log(connection):
        rows = connection.execute(
            f"select load_id from {state.RAW_SCHEMA}.{state.LOADS_TABLE} where status = 0 and schema_name = ?",
            [schema_name],
        ).fetchall()
        load_ids = [row[0] for row in rows]
    else:
        load_ids = []
    return max(map(Decimal, load_ids), default=None)


def _clock_behind(latest_load: Decimal | None) -> str | None:
    """Why this machine must not load the data source now, if its clock is behind the source's latest load.

    dlt's load id is the loading machine's time, and the latest load id of a key decides its current version:
    a load made by a clock that is behind would count as older than what it replaces (design risk 3)."""
    now = Decimal(repr(time.time()))
    if latest_load is None or now > latest_load:
        return None
    behind = datetime.fromtimestamp(float(latest_load), UTC)
    return (
        f"this machine's clock ({datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC) is behind the data source's latest "
        f"completed load ({behind:%Y-%m-%d %H:%M:%S} UTC, load id {latest_load}): a load made now would count "
        "as older than it. Set the clock right (NTP) and run again; nothing was loaded."
    )


def _facts_of(
    plan: SourcePlan, known: dict[str, KnownVersion], run_id: str, started_at: datetime, settings: RunSettings
) -> Callable[[], RunFacts | None]:
    """The package's events and records, made once when dlt first asks for them, after the reading."""
    made: list[RunFacts] = []

    def facts() -> RunFacts | None:
        if not plan.read_finished:
            return None
        if not made:
            deleted = [
                VersionEvent(plan.source.name, key, known[key].etag, known[key].billing_month, "deleted")
                for key in plan.deleted
            ]
            source_summary: dict[str, object] = {
                "run_id": run_id,
                "as_of": settings.as_of.isoformat(),
                "first_month": settings.first_month,
                "sources": [asdict(plan.report)],
            }
            made.append(
                RunFacts(
                    run_id=run_id,
                    data_source=plan.source.name,
                    location=plan.source.location,
                    profile=plan.source.profile,
                    source_reached=not plan.report.failed,
                    started_at=started_at,
                    as_of=settings.as_of,
                    events=[*deleted, *plan.events],
                    summary=source_summary,
                    finished_at=datetime.now(UTC),
                )
            )
        return made[0]

    return facts
