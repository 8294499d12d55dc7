"""`focus-ingest validate`: check files on a laptop before uploading them, with the ingestion rules.

There is one implementation of the rules: the dbt project. This command lays the files out as month
folders in a scratch directory, runs the real loader and the dbt models that produce `file_validation`
and `validation_errors` on a scratch database, and reports what they say, in words, JSON or JUnit XML.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

from loader import state
from loader.dbt_build import run_dbt_build
from loader.discovery import SUPPORTED_EXTENSIONS
from loader.errors import ConfigError, FocusIngestError
from loader.pipeline import run_load, work_dir_for
from loader.settings import MONTH_PATTERN, DataSource, RunSettings

VALIDATION_MODELS = ("+file_validation", "+validation_errors")
SOURCE_NAME = "validate"


@dataclass
class Issue:
    rule: str
    severity: str
    scope: str  # file, row or cell (validation_rules)
    column: str | None
    count: int
    samples: list[tuple[int | None, str | None]]
    how_to_fix: str


@dataclass
class FileVerdict:
    path: str
    month: str
    status: str  # accepted | rejected
    rows: int | None
    first_error: str | None
    focus_versions: list[str] | None = None  # as the header shows it, newest first; None when unreadable
    error_count: int = 0  # issues (cells, rows, file-level), counted as marts.file_validation counts them
    warning_count: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def versions_text(self) -> str:
        if self.focus_versions is None:
            return "FOCUS version unknown"
        return f"FOCUS {', '.join(self.focus_versions)}" if self.focus_versions else "no single FOCUS version"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path, "month": self.month, "status": self.status, "rows": self.rows,
            "focus_versions": self.focus_versions, "errors": self.error_count, "warnings": self.warning_count,
            "first_error": self.first_error,
            "issues": [
                {"rule": i.rule, "severity": i.severity, "column": i.column, "count": i.count,
                 "samples": [{"row": row, "value": value} for row, value in i.samples], "how_to_fix": i.how_to_fix}
                for i in self.issues
            ],
        }  # fmt: skip


def month_of(path: Path, month: str | None) -> str:
    """The billing month of a file: `--month`, else the name of the folder it is in."""
    if month is not None and not MONTH_PATTERN.match(month):
        raise ConfigError(f"--month {month!r} is not a month: use YYYY-MM (e.g. 2025-03).")
    chosen = month or path.resolve().parent.name
    if not MONTH_PATTERN.match(chosen):
        raise ConfigError(
            f"{path}: cannot tell its billing month (its folder {path.resolve().parent.name!r} is not YYYY-MM); "
            "pass --month YYYY-MM."
        )
    return chosen


def _lay_out(paths: list[Path], month: str | None, root: Path) -> dict[str, Path]:
    """Link each file into `root/<month>/`; returns key → original path."""
    originals: dict[str, Path] = {}
    for number, path in enumerate(paths, start=1):
        if not path.is_file():
            raise ConfigError(f"{path} is not a file.")
        folder = month_of(path, month)
        key = f"{folder}/{path.name}"
        if key in originals:  # the same name from two folders: keep both
            key = f"{folder}/{number}-{path.name}"
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / key).symlink_to(path.resolve())
        originals[key] = path
    return originals


def _verdicts(database: Path, originals: dict[str, Path]) -> list[FileVerdict]:
    with state.connect(database) as connection:
        files = connection.execute(
            "select key, billing_month, status, row_count, first_error, focus_versions, error_count, warning_count"
            " from marts.file_validation order by key"
        ).fetchall()
        issues = connection.execute(
            """
            select e.key, e.rule, e.severity, r.scope, e.column_name, e.error_count, e.how_to_fix,
                   e.sample_1_row_number, e.sample_1_value, e.sample_2_row_number, e.sample_2_value,
                   e.sample_3_row_number, e.sample_3_value, e.sample_4_row_number, e.sample_4_value,
                   e.sample_5_row_number, e.sample_5_value
            from marts.validation_errors as e
            inner join reference.validation_rules as r on r.rule = e.rule
            order by e.key, e.severity, r.rule_order, e.column_name
            """
        ).fetchall()
    verdicts = {
        key: FileVerdict(
            str(originals[key]), month, status, rows, first_error,
            None if versions is None else [v for v in versions.split(", ") if v != "none"], errors or 0, warnings or 0,
        )
        for key, month, status, rows, first_error, versions, errors, warnings in files
    }  # fmt: skip
    for key, rule, severity, scope, column, count, how_to_fix, *samples in issues:
        pairs = [(samples[i], samples[i + 1]) for i in range(0, len(samples), 2) if samples[i : i + 2] != [None, None]]
        verdicts[key].issues.append(Issue(rule, severity, scope, column, count, pairs, how_to_fix))
    return list(verdicts.values())


def _unsupported(path: Path, month: str | None) -> FileVerdict | None:
    """A verdict for a file the loader would not read at all (`.txt`, `.xlsx`): rejected, not skipped."""
    if path.name.lower().endswith(SUPPORTED_EXTENSIONS):
        return None
    if not path.is_file():
        raise ConfigError(f"{path} is not a file.")
    extension = path.suffix or "(no extension)"
    reason = f"{extension} is not supported: only .csv and .csv.gz files are read"
    return FileVerdict(str(path), month or path.resolve().parent.name, "rejected", None, reason)


def validate_files(paths: list[Path], month: str | None, profile: str) -> list[FileVerdict]:
    """Run loader and validation models on the files; one verdict per file."""
    if month is not None:
        month_of(paths[0], month)  # a wrong --month is refused before anything is read
    unsupported = {path: verdict for path in paths if (verdict := _unsupported(path, month)) is not None}
    readable = [path for path in paths if path not in unsupported]
    checked = _validate_readable(readable, month, profile) if readable else []
    by_path = {verdict.path: verdict for verdict in checked}
    return [unsupported.get(path) or by_path[str(path)] for path in paths]


def _validate_readable(paths: list[Path], month: str | None, profile: str) -> list[FileVerdict]:
    with tempfile.TemporaryDirectory(prefix="focus-validate-") as scratch:
        root = Path(scratch) / "files"
        originals = _lay_out(paths, month, root)
        months = sorted(key.split("/", 1)[0] for key in originals)
        database = Path(scratch) / "validate.duckdb"
        last = date.fromisoformat(f"{months[-1]}-01")
        settings = RunSettings(
            sources=(DataSource(SOURCE_NAME, str(root), profile=profile),),
            database=database, lookback_months=0, backfill_from=months[0], as_of=last,
        )  # fmt: skip
        summary = run_load(settings)
        if summary.failed:
            raise FocusIngestError(summary.sources[0].failed or "the files could not be read")
        models = ("--select", *VALIDATION_MODELS, "--exclude-resource-type", "test")
        if not run_dbt_build(database, work_dir_for(database), quiet=True, extra_args=models):
            raise FocusIngestError("the validation models failed to build; run with --verbose to see dbt's output")
        return _verdicts(database, originals)


def _samples_text(issue: Issue) -> str:
    """Where the rule failed: `N row(s); first at 2 ('x'), 5 ('y')`, or the file-level detail."""
    if issue.scope == "file":
        return "; ".join(f"line {row}: {value}" if row is not None else str(value) for row, value in issue.samples)
    firsts = ", ".join(f"{row} ({value!r})" if value is not None else str(row) for row, value in issue.samples)
    return f"{issue.count:,} row(s); first at row {firsts}"


def render_text(verdicts: list[FileVerdict]) -> str:
    lines = []
    for verdict in verdicts:
        errors = [i for i in verdict.issues if i.severity == "error"]
        warnings = [i for i in verdict.issues if i.severity == "warning"]
        rows = "unreadable" if verdict.rows is None else f"{verdict.rows:,} rows"
        lines.append(
            f"{verdict.status.upper():<8} {verdict.path}  (month {verdict.month}, {verdict.versions_text}, {rows}, "
            f"{verdict.error_count:,} error(s) in {len(errors)} rule(s), {verdict.warning_count:,} warning(s))"
        )
        if verdict.first_error:
            lines.append(f"  first error: {verdict.first_error}")
        for number, issue in enumerate(errors + warnings):
            where = f" {issue.column}" if issue.column else ""
            detail = _samples_text(issue)
            lines.append(f"  {issue.severity} {issue.rule}{where}" + (f": {detail}" if detail else ""))
            following = (errors + warnings)[number + 1 : number + 2]
            # Issues of one rule with the same fix (many missing columns) print it once, after the last.
            if not following or (following[0].rule, following[0].how_to_fix) != (issue.rule, issue.how_to_fix):
                lines.append(f"      how to fix: {issue.how_to_fix}")
    rejected = sum(v.status == "rejected" for v in verdicts)
    lines.append(f"{len(verdicts) - rejected} accepted, {rejected} rejected")
    return "\n".join(lines)


def render_json(verdicts: list[FileVerdict]) -> str:
    rejected = sum(v.status == "rejected" for v in verdicts)
    document = {"accepted": len(verdicts) - rejected, "rejected": rejected, "files": [v.as_dict() for v in verdicts]}
    return json.dumps(document, indent=2)


def render_junit(verdicts: list[FileVerdict]) -> str:
    """One test case per file; a rejected file is a failure whose text lists the failed rules."""
    rejected = sum(v.status == "rejected" for v in verdicts)
    suite = ElementTree.Element(
        "testsuite", name="focus-ingest validate", tests=str(len(verdicts)), failures=str(rejected), errors="0"
    )
    for verdict in verdicts:
        case = ElementTree.SubElement(suite, "testcase", classname=f"focus.{verdict.month}", name=verdict.path)
        properties = ElementTree.SubElement(case, "properties")
        versions = ", ".join(verdict.focus_versions or [])
        ElementTree.SubElement(properties, "property", name="focus_versions", value=versions)
        if verdict.status == "rejected":
            failure = ElementTree.SubElement(case, "failure", message=verdict.first_error or "rejected")
            failure.text = "\n".join(
                f"{i.rule} {i.column or ''}: {_samples_text(i)}. {i.how_to_fix}"
                for i in verdict.issues if i.severity == "error"
            )  # fmt: skip
    return ElementTree.tostring(ElementTree.Element("testsuites"), encoding="unicode").replace(
        "<testsuites />", "<testsuites>" + ElementTree.tostring(suite, encoding="unicode") + "</testsuites>"
    )
