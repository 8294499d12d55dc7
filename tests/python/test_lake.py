"""`--lake`: the raw layer as Parquet in a local folder through dlt's filesystem destination, the marts still
in the database. The same files give the same marts as without a lake, after changes too; a run that finds
nothing new reads nothing; data sources keep to their own folders; a killed load loses and doubles nothing.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest
from loader_helpers import query, run_cli

from focus_ingest.pipeline import source_slug, work_dir_for
from focus_ingest.sample_data import write_demo_tree

pytestmark = pytest.mark.slow  # runs the CLI and dbt

AS_OF = "2025-03-15"
KILL_RUNNER = Path(__file__).with_name("kill_runner.py")
MARTS = (
    "focus_charges", "costs_monthly", "data_sources", "file_validation", "validation_errors",
    "report_costs_by_sub_account",
)  # fmt: skip


def _run(*arguments: str) -> dict:
    """`focus-ingest run --json` in its own process (dbt-duckdb keeps one database per process)."""
    done = subprocess.run(
        [sys.executable, "-m", "focus_ingest.cli", "run", "--as-of", AS_OF, "--json", "--quiet", *arguments],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def _marts(database: Path) -> dict[str, list[tuple]]:
    return {mart: query(database, f"select * from marts.{mart} order by all") for mart in MARTS}


def _markers(lake: Path) -> list[str]:
    return sorted(path.name for path in (lake / "raw" / "_dlt_loads").glob("*.jsonl"))


def _demo_source(tmp_path: Path) -> tuple[Path, list[Path]]:
    source = tmp_path / "bucket"
    return source, write_demo_tree(source, date(2025, 3, 15))


def test_the_lake_gives_the_marts_of_the_database_also_after_a_changed_and_a_deleted_file(tmp_path):
    source, paths = _demo_source(tmp_path)
    plain, on_lake, lake = tmp_path / "plain.duckdb", tmp_path / "lake.duckdb", tmp_path / "lake"
    _run("--source", str(source), "--database", str(plain))
    first = _run("--source", str(source), "--database", str(on_lake), "--lake", str(lake))

    assert first["build"]["state"] == "built"
    assert first["files_rejected"] == 1  # the demo's bad-currency file, on the lake too
    assert query(on_lake, "select table_type from information_schema.tables where table_name = 'focus_rows'") == [
        ("VIEW",)
    ]  # the rows are in the lake's Parquet files, not in the database
    assert sorted((lake / "raw" / "focus_rows").glob("data_source=*/*.parquet"))
    marts = _marts(plain)
    assert all(marts.values())  # every mart has rows: the comparison below compares something
    assert _marts(on_lake) == marts  # row for row; money as DuckDB's exact decimals

    changed, deleted = paths[0], paths[2]
    lines = changed.read_text().splitlines(keepends=True)
    changed.write_text("".join(lines[:-5]))  # five rows fewer: a new ETag, and marts that must change
    deleted.unlink()
    _run("--source", str(source), "--database", str(plain))
    again = _run("--source", str(source), "--database", str(on_lake), "--lake", str(lake))

    totals = again["sources"][0]
    assert (totals["files_changed"], totals["files_deleted"]) == (1, 1)
    assert _marts(on_lake) == _marts(plain) != marts

    markers = _markers(lake)
    unchanged = _run("--source", str(source), "--database", str(on_lake), "--lake", str(lake))
    totals = unchanged["sources"][0]
    assert (totals["objects_downloaded"], totals["rows_loaded"], totals["files_new"], totals["files_changed"]) == (
        0, 0, 0, 0,
    )  # fmt: skip
    assert _markers(lake) == markers  # no load at all
    assert unchanged["build"]["state"] == "skipped"


def test_two_data_sources_write_under_their_own_data_source_folders(tmp_path):
    first, _ = _demo_source(tmp_path / "one")
    second, _ = _demo_source(tmp_path / "two")
    config = tmp_path / "focus.toml"
    config.write_text(
        '[run]\nlake = "lake"\ndatabase = "focus.duckdb"\n'
        f'[[sources]]\nname = "alpha"\nlocation = "{first}"\n'
        f'[[sources]]\nname = "beta"\nlocation = "{second}"\n'
    )
    _run("--config", str(config))

    lake = tmp_path / "lake"  # relative to the config file
    for name in ("alpha", "beta"):
        folder = lake / "raw" / "focus_rows" / f"data_source={source_slug(name)}"
        with duckdb.connect() as connection:
            names = connection.execute(
                f"select distinct _ingest_data_source from read_parquet('{folder}/*.parquet')"
            ).fetchall()
        assert names == [(name,)]
    assert {marker.split("__")[0] for marker in _markers(lake)} == {
        f"focus_{source_slug('alpha')}", f"focus_{source_slug('beta')}"
    }
    validated = query(tmp_path / "focus.duckdb", "select distinct data_source_id from marts.file_validation")
    assert {row[0] for row in validated} == {"alpha", "beta"}  # both reached the marts through the views


@pytest.mark.parametrize("fresh_work_dir", [False, True])
def test_a_kill_before_the_lake_commit_then_a_run_loses_and_doubles_nothing(tmp_path, fresh_work_dir):
    """The next run finishes the package the killed one left; on a fresh work dir (another machine) that
    package is gone, its files in the lake have no marker and never count, and the files are read again."""
    source, _ = _demo_source(tmp_path)
    reference = tmp_path / "uninterrupted.duckdb"
    _run("--source", str(source), "--database", str(reference), "--lake", str(tmp_path / "uninterrupted-lake"))

    database, lake = tmp_path / "killed.duckdb", tmp_path / "lake"
    arguments = ["run", "--source", str(source), "--database", str(database), "--lake", str(lake), "--as-of", AS_OF,
                 "--quiet"]  # fmt: skip
    killed = subprocess.run([sys.executable, str(KILL_RUNNER), "lake_before_commit", "1", *arguments],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert sorted((lake / "raw" / "focus_rows").glob("*/*.parquet"))  # the rows landed
    assert _markers(lake) == []  # uncommitted

    if fresh_work_dir:
        shutil.rmtree(work_dir_for(database))
    _run("--source", str(source), "--database", str(database), "--lake", str(lake))

    assert len(_markers(lake)) == 1  # one completed load: the left package finished, or the files read again
    assert _marts(database) == _marts(reference)


@pytest.mark.parametrize(
    ("lake", "message"),
    [
        ("ftp://host/lake/", "a lake is an s3:// URL or a local folder"),
        ("file.txt", "is a file; give a folder"),
    ],
)
def test_a_lake_that_is_not_a_local_folder_is_refused_in_one_line(capsys, tmp_path, monkeypatch, lake, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "src").mkdir()
    status, _, err = run_cli(capsys, "load", "--source", "src", "--lake", lake)
    assert status == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_database_loaded_without_a_lake_is_refused_with_one(capsys, tmp_path):
    source, _ = _demo_source(tmp_path)
    database = tmp_path / "focus.duckdb"
    arguments = ("load", "--source", str(source), "--database", str(database), "--as-of", AS_OF, "--quiet")
    assert run_cli(capsys, *arguments)[0] == 0

    status, _, err = run_cli(capsys, *arguments, "--lake", str(tmp_path / "lake"))

    assert status == 2
    assert (
        "already holds a raw layer loaded without a lake; drop --lake to use it, or give the lake its own --database"
    ) in err
    assert not (tmp_path / "lake").exists()
