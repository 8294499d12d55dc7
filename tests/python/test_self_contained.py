"""A clone must work on its own: no code reaches for a `shared` folder beside the repository, and every
reference file the seeds and tests are built from is in `reference/` with its source and licence cited."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = REPO_ROOT / "reference"
OUTSIDE_FOLDER = "shared"  # the team's reference folder beside the repository, before issue 15
TEXT_SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".sh", ".txt", ".csv", ""}


def tracked_files() -> list[Path]:
    """Files git tracks plus new ones not ignored: what a clone (or the next commit) carries."""
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [REPO_ROOT / name for name in listing.stdout.splitlines() if (REPO_ROOT / name).is_file()]


def docstring_nodes(tree: ast.AST) -> set[int]:
    """Ids of the constant nodes that are docstrings: prose may cite where data came from."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def outside_references_in_python(source: str) -> list[str]:
    """String literals that name the outside folder as a path (`"../shared/..."`, `parent / "shared"`)."""
    tree = ast.parse(source)
    docstrings = docstring_nodes(tree)
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            parts = node.value.replace("\\", "/").split("/")
            if OUTSIDE_FOLDER in parts and (len(parts) > 1 or _is_path_segment(tree, node)):
                hits.append(f"line {node.lineno}: {node.value!r}")
    return hits


def _is_path_segment(tree: ast.AST, constant: ast.Constant) -> bool:
    """A bare "shared" counts only as the right operand of `/` (pathlib) or an argument of a path join."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and node.right is constant:
            return True
        if isinstance(node, ast.Call) and constant in node.args:
            return True
    return False


def test_nothing_in_the_repository_reads_a_folder_beside_it() -> None:
    offenders = {}
    for path in tracked_files():
        relative = path.relative_to(REPO_ROOT)
        if path.suffix not in TEXT_SUFFIXES or relative.parts[0] == "reference" or path == Path(__file__):
            continue  # documentation (.md) and the reference data itself cite where the data came from
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".py":
            hits = outside_references_in_python(text)
        else:
            hits = [f"line {number}: {line.strip()}" for number, line in enumerate(text.splitlines(), 1)
                    if f"../{OUTSIDE_FOLDER}" in line or f"/work/{OUTSIDE_FOLDER}" in line]  # fmt: skip
        if hits:
            offenders[str(relative)] = hits
    assert offenders == {}


@pytest.mark.parametrize(
    "snippet",
    ['SPEC = ROOT.parent / "shared" / "focus-spec"', 'open("../shared/focus-samples/doc_example.csv")',
     'Path(here, "shared")'],
)  # fmt: skip
def test_the_check_sees_each_way_of_naming_the_folder(snippet: str) -> None:
    assert outside_references_in_python(snippet)


def test_the_check_lets_prose_and_other_words_through() -> None:
    source = '"""Built from ../shared/focus-spec once."""\nSCOPE = "shared"\nmode = {"lock": "shared"}\n'
    assert outside_references_in_python(source) == []


def test_every_reference_file_is_cited_with_its_licence() -> None:
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    data_files = sorted(path.name for path in REFERENCE.rglob("*.csv"))
    assert "focus_sample_1000.csv" in data_files and "columns.csv" in data_files
    assert [name for name in data_files if name not in readme] == []
    assert "CC BY 4.0" in readme and "FinOps Foundation" in readme
    assert (REFERENCE / "focus-spec" / "SOURCES.md").is_file()
    assert (REFERENCE / "focus-samples" / "README.md").is_file()
