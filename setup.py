"""The build step pyproject.toml cannot express: ship the dbt project, kept at the repository root, inside
the `focus_ingest` package (as `focus_ingest/dbt_project/`), so that `pip install .`, a wheel or pipx can build marts.

An editable install skips the copy: `focus_ingest.dbt_build.project_dir()` then finds the project at the root.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGED_PROJECT = "dbt_project"  # focus_ingest/dbt_project/ in the wheel; focus_ingest.dbt_build looks there first


def _project_files() -> list[Path]:
    module_path = ROOT / "loader" / "focus_ingest" / "dbt_project_files.py"
    spec = importlib.util.spec_from_file_location("dbt_project_files", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.project_files(ROOT)


class BuildPyWithDbtProject(build_py):
    """`build_py`, then the dbt project's files copied under the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        files = _project_files()
        if not any(path.name == "dbt_project.yml" for path in files):
            raise SystemExit(f"focus-ingest build: no dbt_project.yml in {ROOT}; build from a full checkout or sdist")
        target = Path(self.build_lib) / "focus_ingest" / PACKAGED_PROJECT
        shutil.rmtree(target, ignore_errors=True)  # a file deleted from the project must not linger in build/
        for relative in files:
            self.mkpath(str((target / relative).parent))
            self.copy_file(str(ROOT / relative), str(target / relative))


setup(cmdclass={"build_py": BuildPyWithDbtProject})
