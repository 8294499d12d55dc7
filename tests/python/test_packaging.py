"""A non-editable install works: the sdist and the wheel carry the dbt project, an installed focus-ingest
finds it inside the package from any directory, writes nothing into site-packages, and an installation
without it says so in one line before it reads a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import duckdb
import pytest
from loader_helpers import DOC_EXAMPLE, run_cli, write

from focus_ingest import dbt_build
from focus_ingest.dbt_project_files import project_files

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGED = "focus_ingest/dbt_project"


def test_the_project_files_are_the_dbt_project_without_the_python_tests():
    names = {path.as_posix() for path in project_files(REPO_ROOT)}
    assert {"dbt_project.yml", "profiles.yml", "seeds/_seeds.yml"} <= names
    assert any(name.startswith("models/marts/") for name in names)
    assert any(name.startswith("macros/") for name in names)
    assert any(name.startswith("tests/generic/") for name in names)
    assert not any(name.startswith("tests/python/") for name in names)


def test_a_checkout_uses_the_project_at_the_repository_root():
    assert dbt_build.project_dir() == REPO_ROOT


@pytest.mark.parametrize("command", ["run", "load", "validate"])
def test_a_missing_project_is_one_line_and_exit_2_before_anything_is_read(capsys, tmp_path, monkeypatch, command):
    monkeypatch.setattr(dbt_build, "REPOSITORY_ROOT", tmp_path / "no-project")
    for module in ("focus_ingest.pipeline", "focus_ingest.validation_build"):  # where run_load is looked up
        monkeypatch.setattr(f"{module}.run_load", lambda *_: pytest.fail("files were loaded"))
    source = write(tmp_path / "bucket" / "2025-03" / "doc.csv", DOC_EXAMPLE.read_text())
    database = tmp_path / "focus.duckdb"
    loading = ["--source", str(source.parents[1]), "--database", str(database)]
    arguments = [str(source)] if command == "validate" else loading
    status, output, err = run_cli(capsys, command, *arguments)
    assert status == 2
    assert output == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "dbt project (dbt_project.yml) was not found" in err
    assert "reinstall" in err
    assert not database.exists()


def _run(arguments: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """A command as a user would type it: from `cwd`, with nothing of this checkout on the path."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(arguments, cwd=cwd, env=environment, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{arguments}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under `folder` with its size and mtime (Python's own bytecode caches aside)."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_runs_a_full_cycle_and_writes_nothing_into_site_packages(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(REPO_ROOT)], cwd=tmp_path)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")  # `build` makes the wheel from the sdist: the sdist is complete

    project = {path.as_posix() for path in project_files(REPO_ROOT)}
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert project <= in_sdist
    assert {"reference/README.md", "LICENSE", "loader/focus_ingest/templates/report.html.j2", "setup.py"} <= in_sdist
    assert not any(name.startswith("tests/python") for name in in_sdist)
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
    assert {name.removeprefix(f"{PACKAGED}/") for name in in_wheel if name.startswith(f"{PACKAGED}/")} == project
    assert any(name.endswith("licenses/reference/README.md") for name in in_wheel)

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    _run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], cwd=tmp_path, timeout=600)
    python = str(venv / "bin" / "python")
    where = _run([python, "-c", "import focus_ingest; print(focus_ingest.__file__)"], cwd=tmp_path).stdout
    site_packages = Path(where).parents[1]
    assert site_packages.is_relative_to(venv)
    before = _snapshot(site_packages)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    program = str(venv / "bin" / "focus-ingest")
    demo = _run([program, "demo", "--workdir", str(elsewhere / "demo"), "--json"], cwd=elsewhere)
    outcome = json.loads(demo.stdout)
    assert outcome["ok"] is True
    assert outcome["build"]["state"] == "built"
    with duckdb.connect(str(elsewhere / "demo" / "focus.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.costs_monthly").fetchone()[0] > 0
        assert connection.execute("select count(*) from marts.file_validation").fetchone()[0] > 0
    checked = _run([program, "validate", str(DOC_EXAMPLE), "--month", "2025-03", "--format", "json"], cwd=elsewhere)
    assert json.loads(checked.stdout)["accepted"] == 1

    assert _snapshot(site_packages) == before
    assert sorted(path.name for path in elsewhere.iterdir()) == ["demo"]
