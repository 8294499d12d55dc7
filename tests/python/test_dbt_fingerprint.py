"""The dbt macro `validation_fingerprint` counts the project's macros as well as its models and seeds.

It finds the macros through dbt's Jinja `context`, which dbt does not document: this test notices when a
dbt release changes that, which would otherwise leave stale incremental validation results after a macro
edit. The Python `project_fingerprint` is checked alongside (it must change too).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from focus_ingest import dbt_build
from focus_ingest.dbt_project_files import project_files

pytestmark = pytest.mark.slow  # runs dbt: `make test-fast` leaves it out

MODEL = "int_focus__loaded_files"  # the model whose validation_id carries the fingerprint
EDITED_MACRO = Path("macros") / "regex_full_match.sql"


def _project_copy(target: Path) -> Path:
    root = dbt_build.project_dir()
    for relative in project_files(root):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / relative, target / relative)
    return target


def _compiled_fingerprint(project: Path, work_dir: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fingerprint literal in the compiled SQL of the model (an md5, quoted)."""
    monkeypatch.setenv(dbt_build.DATABASE_VARIABLE, str(work_dir / "focus.duckdb"))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    result = dbtRunner().invoke(
        [
            *("compile", "--select", MODEL, "--quiet"),
            *("--project-dir", str(project), "--profiles-dir", str(project)),
            *("--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")),
        ]
    )
    dbt_build._release_database()
    assert result.success, result.exception
    compiled = next((work_dir / "target" / "compiled").rglob(f"{MODEL}.sql")).read_text()
    literals = set(re.findall(r"'([0-9a-f]{32})'", compiled))
    assert len(literals) == 1, literals
    return literals.pop()


def test_a_macro_edit_changes_both_fingerprints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project_copy(tmp_path / "project")
    monkeypatch.setattr(dbt_build, "project_dir", lambda: project)
    before = _compiled_fingerprint(project, tmp_path / "before", monkeypatch)
    python_before = dbt_build.project_fingerprint()

    macro = project / EDITED_MACRO
    text = macro.read_text()
    edited = re.sub(r"\{%-?\s*endmacro", lambda tag: "{#- edited -#}" + tag[0], text, count=1)
    assert edited != text
    macro.write_text(edited)

    assert _compiled_fingerprint(project, tmp_path / "after", monkeypatch) != before
    assert dbt_build.project_fingerprint() != python_before
