"""`--workers N`: on a lake, data sources load at once, each in its own worker process and dlt pipeline.

Two workers give the marts one gives; a data source that fails, or whose worker is killed, fails alone and
the next run makes up for it; Ctrl-C and SIGTERM stop every worker; a machine whose clock is behind a data
source's latest load loads nothing; and without a lake `--workers` is refused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from loader_helpers import query, run_cli
from test_lake import AS_OF, KILL_RUNNER, MARTS

from focus_ingest.pipeline import schema_name_of, work_dir_for
from focus_ingest.sample_data import write_demo_tree
from focus_ingest.workers import PID_FOLDER

SOURCES = ("alpha", "beta", "gamma")
WAIT_SECONDS = 300  # for a process to get somewhere: a bound against hanging, not a timing under test


def _sources(tmp_path: Path, names: tuple[str, ...] = SOURCES) -> Path:
    """A demo tree per data source name (three months, a `.csv.gz`, a rejected file), under one folder."""
    root = tmp_path / "sources"
    for name in names:
        if not (root / name).exists():
            write_demo_tree(root / name, date(2025, 3, 15))
    return root


def _config(folder: Path, sources: Path, workers: int, names: tuple[str, ...] = SOURCES) -> Path:
    """A config file in `folder` with its own database and lake beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "focus.toml"
    entries = "".join(f'[[sources]]\nname = "{name}"\nlocation = "{sources / name}"\n' for name in names)
    config.write_text(f'[run]\nlake = "lake"\ndatabase = "focus.duckdb"\nworkers = {workers}\n{entries}')
    return config


def _cli(*arguments: str, runner: tuple[str, ...] = ("-m", "focus_ingest.cli")) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process (dbt-duckdb keeps one database per process; workers are processes)."""
    return subprocess.run(
        [sys.executable, *runner, *arguments, "--as-of", AS_OF, "--json", "--quiet"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def _run(config: Path) -> dict:
    done = _cli("run", "--config", str(config))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def _marts(database: Path) -> dict[str, list[tuple]]:
    return {mart: query(database, f"select * from marts.{mart} order by all") for mart in MARTS}


def _markers(lake: Path) -> list[str]:
    return sorted(path.name for path in (lake / "raw" / "_dlt_loads").glob("*.jsonl"))


def _pid_files(database: Path) -> list[Path]:
    return sorted((work_dir_for(database) / PID_FOLDER).glob("*.pid"))


def _gone(pid: int) -> bool:
    """Whether the process has ended (a zombie has: it only waits to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def _ignores(pid: int, signal_number: int) -> bool:
    """Whether the process ignores the signal (the `SigIgn` mask of /proc/<pid>/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:"))
    return bool(int(mask, 16) >> (signal_number - 1) & 1)


@pytest.mark.slow
def test_two_workers_give_the_marts_of_one(tmp_path):
    sources = _sources(tmp_path)
    one, two = _config(tmp_path / "one", sources, 1), _config(tmp_path / "two", sources, 2)

    sequential, parallel = _run(one), _run(two)

    assert parallel["ok"] and parallel["build"]["state"] == "built"
    assert [source["name"] for source in parallel["sources"]] == list(SOURCES)  # the config's order
    assert parallel["totals"] == sequential["totals"]
    assert {marker.split("__")[0] for marker in _markers(two.parent / "lake")} == {
        schema_name_of(name) for name in SOURCES
    }  # one completed load per data source, each by its own pipeline
    marts = _marts(one.parent / "focus.duckdb")
    assert all(marts.values())  # every mart has rows: the comparison below compares something
    assert _marts(two.parent / "focus.duckdb") == marts
    assert _pid_files(two.parent / "focus.duckdb") == []


@pytest.mark.slow
def test_a_failing_data_source_fails_alone(tmp_path):
    sources = _sources(tmp_path, ("alpha",))
    config = _config(tmp_path / "run", sources, 2, ("alpha", "beta"))  # beta's folder does not exist

    done = _cli("run", "--config", str(config))

    assert done.returncode == 1, done.stderr[-3000:]
    outcome = json.loads(done.stdout)
    assert outcome["failures"] == ["data source beta failed"]
    alpha, beta = outcome["sources"]
    assert "does not exist" in beta["failed"]
    assert alpha["failed"] is None and alpha["rows_loaded"] > 0
    assert outcome["build"]["state"] == "built"  # alpha's data changed
    database = config.parent / "focus.duckdb"
    assert query(database, "select distinct data_source_id from marts.file_validation") == [("alpha",)]
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_workers_killed_before_their_commit_then_a_run_gives_the_marts_of_an_uninterrupted_one(tmp_path):
    names = ("alpha", "beta")
    sources = _sources(tmp_path, names)
    reference = _config(tmp_path / "uninterrupted", sources, 1, names)
    _run(reference)
    config = _config(tmp_path / "killed", sources, 2, names)

    # every worker dies before dlt writes its commit marker; the parent survives and says so
    killed = _cli("load", "--config", str(config), runner=(str(KILL_RUNNER), "lake_before_commit", "1"))

    assert killed.returncode == 1, killed.stderr[-3000:]
    outcome = json.loads(killed.stdout)
    assert outcome["failures"] == ["data source alpha failed", "data source beta failed"]
    assert all("its worker process was killed by SIGKILL" in source["failed"] for source in outcome["sources"])
    lake, database = config.parent / "lake", config.parent / "focus.duckdb"
    assert sorted((lake / "raw" / "focus_rows").glob("*/*.parquet"))  # the rows landed
    assert _markers(lake) == []  # uncommitted
    assert _pid_files(database) == []

    _run(config)

    assert len(_markers(lake)) == len(names)  # one completed load each: the left packages, or a new read
    assert _marts(database) == _marts(reference.parent / "focus.duckdb")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signal_number", "to_group"),
    [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["sigint", "ctrl-c-to-the-process-group", "sigterm"],
)
def test_an_interrupt_stops_every_worker(tmp_path, signal_number, to_group):
    """To the parent alone (`kill -INT`, `kill`), or to the whole process group as a terminal's Ctrl-C:
    the workers must not each print a traceback of their own."""
    names = ("alpha", "beta")
    config = _config(tmp_path / "run", _sources(tmp_path, names), 2, names)
    database = config.parent / "focus.duckdb"
    command = [sys.executable, str(KILL_RUNNER), "hang:normalized", "1", "load", "--config", str(config),
               "--as-of", AS_OF, "--quiet"]  # fmt: skip
    # every worker stops for good before its load step, until it is terminated
    parent = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )  # its own process group: the fork server and the workers are in it too
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(_pid_files(database)) < len(names):  # both workers are running (the earlier version raced)
            assert parent.poll() is None, parent.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        pids = [int(path.read_text()) for path in _pid_files(database)]
        assert all(not _gone(pid) for pid in pids)
        # a terminal's Ctrl-C reaches the workers too: they leave stopping to the parent (else each would
        # print a traceback, racing the parent's SIGTERM)
        assert all(_ignores(pid, signal.SIGINT) for pid in pids)

        if to_group:
            os.killpg(parent.pid, signal_number)
        else:
            parent.send_signal(signal_number)
        _, stderr = parent.communicate(timeout=WAIT_SECONDS)
    finally:
        if parent.poll() is None:  # a failed assertion above: the hanging workers must not outlive the test
            os.killpg(parent.pid, signal.SIGKILL)
            parent.communicate()

    assert parent.returncode == 130, stderr[-3000:]
    assert "focus-ingest: interrupted at" in stderr and "Traceback" not in stderr
    deadline = time.monotonic() + WAIT_SECONDS
    while not all(_gone(pid) for pid in pids):
        assert time.monotonic() < deadline, f"worker processes still running: {[p for p in pids if not _gone(p)]}"
        time.sleep(0.1)
    assert _pid_files(database) == []


def _pretend_a_later_load(database: Path, lake: Path | None, data_source: str) -> Decimal:
    """A completed load of the data source an hour ahead of this machine's clock, as a machine whose clock
    is ahead would have left it."""
    load_id = Decimal(str(round(time.time() + 3600, 6)))
    schema = schema_name_of(data_source)
    if lake is not None:
        (lake / "raw" / "_dlt_loads" / f"{schema}__{load_id}.jsonl").write_text("{}\n")
    else:
        with duckdb.connect(str(database)) as connection:
            connection.execute(
                "insert into raw._dlt_loads (load_id, schema_name, status, inserted_at, schema_version_hash) "
                "values (?, ?, 0, now(), '')",
                [str(load_id), schema],
            )
    return load_id


@pytest.mark.slow
@pytest.mark.parametrize("on_lake", [True, False])
def test_a_clock_behind_the_latest_load_loads_nothing(capsys, tmp_path, on_lake):
    source = _sources(tmp_path, ("alpha",)) / "alpha"
    database, lake = tmp_path / "focus.duckdb", tmp_path / "lake" if on_lake else None
    arguments = ["load", "--source", str(source), "--name", "alpha", "--database", str(database), "--as-of", AS_OF,
                 "--json", *(["--lake", str(lake)] if lake else [])]  # fmt: skip
    assert run_cli(capsys, *arguments)[0] == 0
    later = _pretend_a_later_load(database, lake, "alpha")
    changed = next(source.glob("2025-03/*-1.csv"))
    changed.write_text("".join(changed.read_text().splitlines(keepends=True)[:-5]))
    before = _markers(lake) if lake else query(database, "select load_id from raw._dlt_loads order by all")

    status, outcome, err = run_cli(capsys, *arguments)

    assert status == 1
    assert isinstance(outcome, dict)
    assert outcome["failures"] == ["data source alpha failed"]
    failed = outcome["sources"][0]["failed"]
    assert "clock" in failed and "is behind the data source's latest completed load" in failed
    assert str(later) in failed and "nothing was loaded" in failed
    after = _markers(lake) if lake else query(database, "select load_id from raw._dlt_loads order by all")
    assert after == before  # no load
    assert "Traceback" not in err


@pytest.mark.parametrize("where", ["flag", "config"])
def test_workers_without_a_lake_are_refused_in_one_line(capsys, tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    if where == "flag":
        arguments = ["load", "--source", "src", "--workers", "2"]
    else:
        (tmp_path / "focus.toml").write_text('[run]\nworkers = 2\n[[sources]]\nlocation = "src"\n')
        arguments = ["load", "--config", "focus.toml"]

    status, _, err = run_cli(capsys, *arguments)

    assert status == 2
    assert "--workers 2 needs --lake" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not os.listdir(tmp_path / "src") and not (tmp_path / "focus.duckdb").exists()


def test_a_failed_dlt_step_fails_its_data_source_alone(capsys, tmp_path, monkeypatch):
    """One worker (the same entry per data source as the worker processes, in this process): alpha's load
    fails in dlt, beta still loads, and the next run finishes alpha's package."""
    from dlt.destinations.impl.filesystem.filesystem import FilesystemClient

    names = ("alpha", "beta")
    config = _config(tmp_path / "run", _sources(tmp_path, names), 1, names)
    lake = config.parent / "lake"
    complete_load = FilesystemClient.complete_load

    def full_for_alpha(client: FilesystemClient, load_id: str) -> None:
        if client.schema.name == schema_name_of("alpha"):
            raise OSError("No space left on device")
        complete_load(client, load_id)

    monkeypatch.setattr(FilesystemClient, "complete_load", full_for_alpha)
    status, outcome, err = run_cli(capsys, "load", "--config", str(config), "--as-of", AS_OF, "--json")

    assert status == 1
    assert isinstance(outcome, dict)
    assert outcome["failures"] == ["data source alpha failed"]
    alpha, beta = outcome["sources"]
    assert "dlt's load step" in alpha["failed"] and "No space left on device" in alpha["failed"]
    assert beta["failed"] is None and beta["rows_loaded"] > 0
    assert [marker.split("__")[0] for marker in _markers(lake)] == [schema_name_of("beta")]
    assert "Traceback" not in err

    monkeypatch.setattr(FilesystemClient, "complete_load", complete_load)
    status, outcome, err = run_cli(capsys, "load", "--config", str(config), "--as-of", AS_OF, "--json")

    assert status == 0, err
    assert sorted(marker.split("__")[0] for marker in _markers(lake)) == sorted(schema_name_of(n) for n in names)
