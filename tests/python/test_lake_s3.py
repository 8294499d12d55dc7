"""`--lake s3://bucket/prefix/`: the raw layer as Parquet on S3 (moto's server on 127.0.0.1), the marts in the
database. The same files give the marts of the database path, after changes too; an unchanged run loads and
builds nothing; a killed load loses and doubles nothing; `status`, `report` and `vacuum` read the same lake
and refuse another; a lake S3 cannot give is one line before anything runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from loader_helpers import query, run_cli
from test_lake import AS_OF, KILL_RUNNER, MARTS

from focus_ingest.sample_data import write_demo_tree


def _cli(*arguments: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """`focus-ingest` in its own process (dbt-duckdb keeps one database per process); the environment is
    the moto harness's (credentials, AWS_ENDPOINT_URL_S3)."""
    return subprocess.run(
        [sys.executable, "-m", "focus_ingest.cli", *arguments], capture_output=True, text=True, timeout=timeout
    )


def _run(*arguments: str) -> dict:
    done = _cli("run", "--as-of", AS_OF, "--json", "--quiet", *arguments)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout)


def _marts(database: Path) -> dict[str, list[tuple]]:
    return {mart: query(database, f"select * from marts.{mart} order by all") for mart in MARTS}


def _keys(bucket, prefix: str) -> list[str]:
    pages = bucket.client.get_paginator("list_objects_v2").paginate(Bucket=bucket.name, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def _markers(bucket) -> list[str]:
    return _keys(bucket, "lake/raw/_dlt_loads/")


def _rows_files(bucket) -> list[str]:
    return _keys(bucket, "lake/raw/focus_rows/")


def _shorten(path: Path) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-5]))  # five rows fewer: a new ETag, and marts that must change


def _change_and_delete(paths: list[Path]) -> None:
    _shorten(paths[0])
    paths[2].unlink()


@pytest.mark.slow
def test_the_s3_lake_gives_the_marts_of_the_database_and_status_report_vacuum_read_it(tmp_path, s3_bucket):
    source = tmp_path / "source"
    paths = write_demo_tree(source, date(2025, 3, 15))
    plain, database, lake = tmp_path / "plain.duckdb", tmp_path / "lake.duckdb", s3_bucket.uri("lake")
    on_lake = ("--source", str(source), "--database", str(database), "--lake", lake)
    _run("--source", str(source), "--database", str(plain))
    first = _run(*on_lake)

    assert first["build"]["state"] == "built"
    assert first["files_rejected"] == 1  # the demo's bad-currency file, on the lake too
    assert _rows_files(s3_bucket) and len(_markers(s3_bucket)) == 1  # the rows are on S3, one load
    assert not (tmp_path / "lake").exists()
    marts = _marts(plain)
    assert all(marts.values())  # every mart has rows: the comparison compares something
    assert _marts(database) == marts  # row for row; money as DuckDB's exact decimals

    status = _cli("status", "--database", str(database), "--lake", lake, "--json")
    assert status.returncode == 0, status.stderr
    verdicts = json.loads(status.stdout)["verdicts"]
    assert verdicts["rejected"] == 1 and verdicts["accepted"] == len(paths) - 1
    report = _cli("report", "--database", str(database), "--lake", lake, "--output", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert "focus-ingest" in (tmp_path / "r.html").read_text()

    _change_and_delete(paths)
    _run("--source", str(source), "--database", str(plain))
    again = _run(*on_lake)
    totals = again["sources"][0]
    assert (totals["files_changed"], totals["files_deleted"]) == (1, 1)
    changed_marts = _marts(plain)
    assert _marts(database) == changed_marts != marts

    _shorten(paths[0])  # again: the previous load's only version is superseded, so vacuum removes its files
    _run(*on_lake)
    marts = _marts(database)
    files_before = _rows_files(s3_bucket)
    vacuumed = _cli("vacuum", "--database", str(database), "--lake", lake, "--json")
    assert vacuumed.returncode == 0, vacuumed.stderr
    removed = json.loads(vacuumed.stdout)["lake_files_removed"]
    files_after = _rows_files(s3_bucket)
    assert removed > 0 and len(files_after) == len(files_before) - removed
    assert _marts(database) == marts  # vacuum changes no mart
    rebuilt = _run(*on_lake, "--rebuild")  # and a build from the vacuumed lake gives the same marts
    assert rebuilt["build"]["state"] == "built"
    assert _marts(database) == marts

    markers = _markers(s3_bucket)
    unchanged = _run(*on_lake)
    totals = unchanged["sources"][0]
    assert (totals["objects_downloaded"], totals["rows_loaded"], totals["files_new"], totals["files_changed"]) == (
        0, 0, 0, 0,
    )  # fmt: skip
    assert _markers(s3_bucket) == markers  # no load at all
    assert unchanged["build"]["state"] == "skipped"


@pytest.mark.slow
def test_a_kill_before_the_s3_lake_commit_then_a_run_loses_and_doubles_nothing(tmp_path, s3_bucket):
    source = tmp_path / "source"
    write_demo_tree(source, date(2025, 3, 15))
    reference = tmp_path / "plain.duckdb"
    _run("--source", str(source), "--database", str(reference))

    database, lake = tmp_path / "killed.duckdb", s3_bucket.uri("lake")
    arguments = ("run", "--source", str(source), "--database", str(database), "--lake", lake, "--as-of", AS_OF,
                 "--quiet")  # fmt: skip
    killed = subprocess.run([sys.executable, str(KILL_RUNNER), "lake_before_commit", "1", *arguments],
                            capture_output=True, text=True, timeout=600)  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert _rows_files(s3_bucket)  # the rows landed
    assert _markers(s3_bucket) == []  # uncommitted

    _run("--source", str(source), "--database", str(database), "--lake", lake)

    assert len(_markers(s3_bucket)) == 1  # one completed load: the left package finished
    assert _marts(database) == _marts(reference)


@pytest.mark.slow
def test_vacuum_of_a_local_lake_removes_superseded_loads_files_and_changes_no_mart(tmp_path):
    source, lake, database = tmp_path / "source", tmp_path / "lake", tmp_path / "focus.duckdb"
    paths = write_demo_tree(source, date(2025, 3, 15))
    on_lake = ("--source", str(source), "--database", str(database), "--lake", str(lake))
    _run(*on_lake)
    _change_and_delete(paths)
    _run(*on_lake)
    _shorten(paths[0])  # again: the previous load held only that file's version, now superseded
    _run(*on_lake)
    marts = _marts(database)
    rows_files = sorted((lake / "raw" / "focus_rows").glob("*/*.parquet"))
    unmarked = rows_files[0].with_name("9999999999.000001.leftover.parquet")  # a load with no marker: kept
    unmarked.write_bytes(rows_files[0].read_bytes())

    vacuumed = _cli("vacuum", "--database", str(database), "--lake", str(lake))

    assert vacuumed.returncode == 0, vacuumed.stderr
    left = sorted((lake / "raw" / "focus_rows").glob("*/*.parquet"))
    assert unmarked in left and len(left) < len(rows_files) + 1  # something went, the unmarked load stayed
    assert "superseded Parquet files removed from the lake" in vacuumed.stdout
    unmarked.unlink()
    _run(*on_lake, "--rebuild")
    assert _marts(database) == marts


def _load(capsys, source: Path, database: Path, *extra: str) -> tuple[int, str]:
    status, _, err = run_cli(
        capsys, "load", "--source", str(source), "--database", str(database), "--as-of", AS_OF, "--quiet", *extra
    )
    return status, err


def _one_line(err: str) -> str:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_status_report_and_vacuum_refuse_a_lake_database_without_its_lake(capsys, tmp_path, s3_bucket):
    source = tmp_path / "source"
    write_demo_tree(source, date(2025, 3, 15))
    database, lake = tmp_path / "focus.duckdb", s3_bucket.uri("lake")
    assert _load(capsys, source, database, "--lake", lake)[0] == 0

    for command in ("status", "report", "vacuum"):
        status, _, err = run_cli(capsys, command, "--database", str(database))
        assert status == 2, (command, err)
        assert f"reads its raw layer from a lake: pass the same --lake {lake.rstrip('/')}" in _one_line(err)
        status, _, err = run_cli(capsys, command, "--database", str(database), "--lake", s3_bucket.uri("other"))
        assert status == 2, (command, err)
        assert "reads its raw layer from another lake" in _one_line(err)
    status, _ = _load(capsys, source, database, "--lake", str(tmp_path / "local-lake"))
    assert status == 2


@pytest.mark.parametrize(
    ("lake", "extra", "message"),
    [
        ("s3://focus-no-such-bucket/lake/", (), "the bucket 'focus-no-such-bucket' does not exist"),
        ("s3://{bucket}/lake/", ("--lake-endpoint-url", "http://127.0.0.1:9"), "check --lake-endpoint-url"),
    ],
)
def test_an_s3_lake_that_cannot_be_used_is_one_line_before_anything_runs(
    capsys, tmp_path, s3_bucket, s3_requests, lake, extra, message
):
    database = tmp_path / "focus.duckdb"
    status, err = _load(capsys, tmp_path, database, "--lake", lake.format(bucket=s3_bucket.name), *extra)

    assert status == 1
    assert message in _one_line(err)
    assert not database.exists()  # nothing ran
    assert s3_requests()["PutObject"] == 0


def test_an_s3_lake_the_credentials_may_not_list_is_one_line(capsys, tmp_path, s3_bucket, iam_enforced):
    """The lake's credentials are the default chain's (here a user that may only assume the source's role),
    never the source's role: the role that reads a producer's bucket must not be able to write the lake."""
    status, err = _load(capsys, tmp_path, tmp_path / "focus.duckdb", "--lake", s3_bucket.uri("lake"))

    assert status == 1
    assert "S3 refused to list it (AccessDenied)" in _one_line(err)


def test_an_s3_lake_without_s3fs_names_the_extra(capsys, tmp_path, s3_bucket, monkeypatch):
    monkeypatch.setitem(sys.modules, "s3fs", None)  # `import s3fs` raises ImportError
    status, err = _load(capsys, tmp_path, tmp_path / "focus.duckdb", "--lake", s3_bucket.uri("lake"))

    assert status == 2
    assert "pip install 'focus-ingest[lake-s3]'" in _one_line(err)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--lake", "ftp://host/lake/"), "a lake is an s3:// URL or a local folder, not ftp://"),
        (("--lake", "s3:///lake/"), "names no bucket"),
        (("--lake", "lake", "--lake-endpoint-url", "http://127.0.0.1:9"), "--lake-endpoint-url is for an s3:// lake"),
        (("--lake-endpoint-url", "http://127.0.0.1:9"), "needs an s3:// --lake"),
    ],
)
def test_lake_options_that_do_not_fit_are_refused_in_one_line(capsys, tmp_path, monkeypatch, arguments, message):
    monkeypatch.chdir(tmp_path)
    status, err = _load(capsys, tmp_path, tmp_path / "focus.duckdb", *arguments)
    assert status == 2
    assert message in _one_line(err)


def test_the_config_file_gives_the_s3_lake_and_its_endpoint(tmp_path):
    from focus_ingest.command_line import build_parser
    from focus_ingest.invocation import resolve
    from focus_ingest.settings import Lake

    config = tmp_path / "focus.toml"
    config.write_text(
        '[run]\nlake = "S3://my-lake/focus/"\nlake_endpoint_url = "http://127.0.0.1:9000"\n'
        f'[[sources]]\nname = "alpha"\nlocation = "{tmp_path}"\n'
    )
    settings = resolve(build_parser().parse_args(["load", "--config", str(config)])).settings

    assert settings.lake == Lake("s3://my-lake/focus", "http://127.0.0.1:9000")
    assert settings.lake.is_s3 and settings.lake.bucket == "my-lake"
    assert settings.lake.join("raw", "_dlt_loads") == "s3://my-lake/focus/raw/_dlt_loads"
