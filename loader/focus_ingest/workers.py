"""`--workers N`: on a lake, N data sources load at once, each in its own process with its own dlt pipeline.

Processes, not threads: reading (DuckDB's CSV scan), dlt's extract and normalize and the Parquet writing of
one data source keep a core busy, and much of it holds the GIL. The workers are forked from a fork server
that has imported the loader once (`FORKSERVER_PRELOAD`): a spawned process per data source paid ~2 s of
CPU importing dlt, DuckDB and pyarrow, which made 2 workers slower than 1, and a plain fork of the CLI
would copy its threads and their locks. Only on a lake (settings.py refuses it otherwise): there each
data source writes its own `data_source=` folders and its own `_dlt_loads` markers, while a DuckDB file has
one writer.

A worker that fails or dies fails its own data source only: the summary says which, and the exit status is
a failed data source's. What a killed worker had not committed does not count (`_dlt_loads` is written
last), and the next run finishes or discards its package (pipeline.py). Each worker sends its log records
and its outcome over its own pipe, so a worker killed mid-write blocks nobody else. Workers ignore SIGINT
(a terminal's Ctrl-C reaches the whole process group); on Ctrl-C or SIGTERM the parent terminates every
worker, waits for them, and the CLI ends with its one line and status 130. While a worker runs, its pid is
in `<work dir>/workers/<slug>.pid`, for an operator (and the tests) to see which processes load what.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

from focus_ingest.pipeline import RunContext, SourceOutcome, load_source, source_slug
from focus_ingest.planning import SourceReport
from focus_ingest.settings import DataSource

logger = logging.getLogger("focus_ingest.pipeline")  # the loader's log lines keep their logger's name

FORKSERVER_PRELOAD = ("focus_ingest.pipeline", "focus_ingest.workers")
PID_FOLDER = "workers"
STOP_SECONDS = 10.0  # a terminated worker's time to go before it is killed


def load_in_workers(run: RunContext) -> list[SourceOutcome]:
    """Every data source of the run in its own worker process, `run.settings.workers` at a time; the
    outcomes in the order of the settings' data sources."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(FORKSERVER_PRELOAD))
    pid_folder = run.work_dir / PID_FOLDER
    pid_folder.mkdir(parents=True, exist_ok=True)
    for stale in pid_folder.glob("*.pid"):  # of a run that was killed (this run holds the database's lock)
        stale.unlink(missing_ok=True)
    sources = list(run.settings.sources)
    waiting = list(sources)
    running: list[_Worker] = []
    outcomes: dict[str, SourceOutcome] = {}
    levels = _logging_levels()
    with _sigterm_interrupts():
        try:
            while waiting or running:
                while waiting and len(running) < run.settings.workers:
                    running.append(_Worker.start(context, run, waiting.pop(0), levels, pid_folder))
                _serve(running, outcomes)
        finally:
            _stop(running)
    return [outcomes[source.name] for source in sources]


@dataclass
class _Worker:
    """One data source's worker process, seen from the parent."""

    source: DataSource
    process: BaseProcess
    messages: Connection
    pid_file: Path
    outcome: SourceOutcome | None = field(default=None)
    talking: bool = True  # until its end of the pipe has closed

    @classmethod
    def start(
        cls, context: Any, run: RunContext, source: DataSource, levels: dict[str, int], pid_folder: Path
    ) -> _Worker:
        receiver, sender = context.Pipe(duplex=False)
        pid_file = pid_folder / f"{source_slug(source.name)}.pid"
        process = context.Process(
            target=_work, args=(run, source, levels, sender, pid_file), name=f"focus-ingest {source.name}"
        )
        process.start()
        sender.close()  # the worker's end: the parent's reads end at EOF once the worker is gone
        return cls(source, process, receiver, pid_file)

    def receive(self) -> None:
        """Everything the worker has sent so far: log records go to the parent's loggers."""
        try:
            while self.talking and self.messages.poll():
                kind, payload = self.messages.recv()
                if kind == "log":
                    logging.getLogger(payload.name).handle(payload)
                else:
                    self.outcome = payload
        except (EOFError, OSError):  # the worker is gone; its sentinel says how
            self.talking = False

    def finished(self) -> SourceOutcome:
        """Its outcome once the process has ended: the one it sent, or its data source failed."""
        self.process.join()
        self.receive()
        self.messages.close()
        self.pid_file.unlink(missing_ok=True)  # a killed worker could not
        if self.outcome is not None:
            return self.outcome
        failed = (
            f"its worker process {_how_it_ended(self.process.exitcode)} before it reported. What it had not "
            "committed does not count; the next run finishes its load or reads its files again."
        )
        logger.error("data source %s: %s", self.source.name, failed)
        report = SourceReport(self.source.name, self.source.location, self.source.profile, failed=failed)
        return SourceOutcome(report, changed=True)  # it may have committed before it died: let the build decide


def _serve(running: list[_Worker], outcomes: dict[str, SourceOutcome]) -> None:
    """Wait until a worker sends something or ends; pass on its logs, collect the outcomes of those ended."""
    sentinels = {worker.process.sentinel: worker for worker in running}
    ready = wait([*sentinels, *(worker.messages for worker in running if worker.talking)])
    for worker in list(running):
        if worker.messages in ready:
            worker.receive()
        if worker.process.sentinel in ready:
            running.remove(worker)
            outcomes[worker.source.name] = worker.finished()


def _stop(running: list[_Worker]) -> None:
    """Terminate the workers still running (an interrupted run, or a bug in the parent) and wait for them."""
    for worker in running:
        worker.process.terminate()
    for worker in running:
        worker.process.join(STOP_SECONDS)
        if worker.process.exitcode is None:
            worker.process.kill()
            worker.process.join()
        worker.messages.close()
        worker.pid_file.unlink(missing_ok=True)


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by {signal.Signals(-exitcode).name}"
    return f"ended with exit status {exitcode}"


def _logging_levels() -> dict[str, int]:
    """The parent's logger levels (the root's under ""), for a worker to log exactly what the parent would."""
    levels = {"": logging.getLogger().level}
    for name, candidate in logging.root.manager.loggerDict.items():
        if isinstance(candidate, logging.Logger) and candidate.level != logging.NOTSET:
            levels[name] = candidate.level
    return levels


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl-C does, so that the workers are stopped too (the default would end the
    parent alone, its workers loading on)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Channel:
    """The worker's end of its pipe; a lock, since the reader's download threads log too."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()

    def put_nowait(self, record: logging.LogRecord) -> None:  # what QueueHandler calls
        self.send("log", record)

    def send(self, kind: str, payload: object) -> None:
        with self._lock:
            self._connection.send((kind, payload))


def _work(run: RunContext, source: DataSource, levels: dict[str, int], connection: Connection, pid_file: Path) -> None:
    """A worker process: load one data source, send the outcome; its log records go to the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides, and terminates it
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    channel = _Channel(connection)
    root = logging.getLogger()
    root.handlers = [logging.handlers.QueueHandler(channel)]  # type: ignore[arg-type]  # it only calls put_nowait
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
    pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        outcome = load_source(run, source)
    except Exception as error:  # the data source fails, not the run: the other workers go on
        logger.debug("data source %s: unexpected error", source.name, exc_info=True)
        failed = f"unexpected error in its worker: {type(error).__name__}: {error}"
        logger.error("data source %s: %s", source.name, failed)
        outcome = SourceOutcome(SourceReport(source.name, source.location, source.profile, failed=failed), True)
    finally:
        pid_file.unlink(missing_ok=True)
    channel.send("outcome", outcome)
