"""`focus-ingest validate`: check files on a laptop before uploading them, with the ingestion rules.

There is one implementation of the rules: the dbt project. This command lays the files out as month
folders in a private scratch directory, reads them with the loader's own reading and planning code into
the raw tables of a copy of the cached template database (the rows with only the files' own columns, under
a view in raw.focus_rows' shape), runs on it the SQL dbt compiled for the models
that produce `file_validation` and `validation_errors` (loader/focus_ingest/compiled_validation.py), and reports what
they say, in words, JSON or JUnit XML. It needs no database, lake or lock, so several can run at once.

It imports neither dlt nor dbt (~1 s of a call, BENCHMARKS.md): `validate_files_with_dbt`
(loader/focus_ingest/validation_build.py) does the same through the whole loader (dlt) and `dbt build`,
slower, the reference the cached path is tested against.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import duckdb

from focus_ingest import compiled_validation, raw_tables, state
from focus_ingest.discovery import SUPPORTED_EXTENSIONS, BillingFile
from focus_ingest.errors import ConfigError, FocusIngestError, TransientFileError
from focus_ingest.planning import new_run_id, plan_source, read_limits
from focus_ingest.progress import plural
from focus_ingest.reading import (
    Lineage,
    ReadOptions,
    UnreadableFile,
    column_key,
    insert_rows,
    plain_csv,
    read_header,
    remember_column_keys,
)
from focus_ingest.settings import MONTH_PATTERN, DataSource, RunSettings
from focus_ingest.stores import Store

SOURCE_NAME = "validate"
ROWS = f"{state.RAW_SCHEMA}.{state.ROWS_TABLE}"
READ_TABLE = f"{state.RAW_SCHEMA}.focus_rows_read"  # the files' rows, lineage and header columns only


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


def lay_out(paths: list[Path], month: str | None, root: Path) -> dict[str, Path]:
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


def verdicts_of(connection: duckdb.DuckDBPyConnection, originals: dict[str, Path]) -> list[FileVerdict]:
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


def each_file(
    paths: list[Path], month: str | None, validate_readable: Callable[[list[Path]], list[FileVerdict]]
) -> list[FileVerdict]:
    """One verdict per path, in order: an unsupported file is rejected here, the others by `validate_readable`."""
    if month is not None:
        month_of(paths[0], month)  # a wrong --month is refused before anything is read
    unsupported = {path: verdict for path in paths if (verdict := _unsupported(path, month)) is not None}
    readable = [path for path in paths if path not in unsupported]
    checked = validate_readable(readable) if readable else []
    by_path = {verdict.path: verdict for verdict in checked}
    return [unsupported.get(path) or by_path[str(path)] for path in paths]


def validate_files(paths: list[Path], month: str | None, profile: str) -> list[FileVerdict]:
    """Read the files into a private raw layer and run the cached compiled validation models; one verdict per file."""
    return each_file(paths, month, lambda readable: _validate_cached(readable, month, profile))


def run_settings(root: Path, originals: dict[str, Path], database: Path, profile: str) -> RunSettings:
    """One local data source over the laid-out folders, with every month in the window."""
    months = sorted(key.split("/", 1)[0] for key in originals)
    return RunSettings(
        sources=(DataSource(SOURCE_NAME, str(root), profile=profile),), database=database,
        lookback_months=0, backfill_from=months[0], as_of=date.fromisoformat(f"{months[-1]}-01"),
    )  # fmt: skip


def _add_columns(connection: duckdb.DuckDBPyConnection, present: list[str], names: list[str]) -> None:
    """Header columns the read table lacks become text columns, in header order, as dlt adds them on a load."""
    for key in (column_key(name) for name in names):
        if key not in present:
            connection.execute(f'alter table {READ_TABLE} add column "{key}" varchar')
            present.append(key)


def _narrow_raw_rows(connection: duckdb.DuckDBPyConnection, focus_keys: set[str]) -> list[tuple[str, str]]:
    """Create the read table with raw.focus_rows' lineage columns only; raw.focus_rows' columns and types.

    The template's raw.focus_rows has every FOCUS column and alias, and a file carries a few dozen of them:
    writing a million rows of nulls into the others was most of the insert's cost (BENCHMARKS.md).
    """
    columns = connection.execute(f"select name, type from pragma_table_info('{ROWS}')").fetchall()
    lineage = ", ".join(f'"{name}" {kind}' for name, kind in columns if name not in focus_keys)
    connection.execute(f"create table {READ_TABLE} ({lineage})")
    return [(str(name), str(kind)) for name, kind in columns]


def _rows_view(connection: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]], read: list[str]) -> None:
    """raw.focus_rows becomes a view of the read table in its own shape: its columns in order, typed nulls for
    the ones no file carried, then the files' other header columns, so that dbt's compiled SQL reads it as
    it reads the table a load writes."""
    known = {name for name, _ in columns}
    selected = [f'"{name}"' if name in read else f'cast(null as {kind}) as "{name}"' for name, kind in columns]
    selected += [f'"{name}"' for name in read if name not in known]
    connection.execute(f"drop table {ROWS}")
    connection.execute(f"create view {ROWS} as select {', '.join(selected)} from {READ_TABLE}")


def _read_file(
    connection: duckdb.DuckDBPyConnection, store: Store, billing_file: BillingFile, lineage: Lineage,
    present: list[str], scratch: Path,
) -> raw_tables.VersionEvent:  # fmt: skip
    """One file into the read table with the loader's reading code; its event (loaded or rejected)."""
    item = billing_file.item
    options = ReadOptions()
    header: list[str] | None = None
    outcome: dict[str, object] = {"event": "loaded", "row_count": None, "error": None, "error_line": None}
    try:
        with (
            store.fetch(item, lambda _: None) as fetched,
            plain_csv(fetched, billing_file.is_gzip, options, scratch) as path,
        ):
            header = read_header(path)
            _add_columns(connection, present, header)
            outcome["row_count"] = insert_rows(connection, READ_TABLE, path, header, lineage, options)
    except UnreadableFile as error:
        outcome = {"event": "rejected", "row_count": None, "error": error.reason, "error_line": error.line}
    except TransientFileError as error:
        raise FocusIngestError(str(error)) from None
    return raw_tables.VersionEvent(
        data_source=lineage.data_source, key=item.key, etag=item.etag, size=item.size,
        last_modified=item.last_modified, billing_month=billing_file.month, **outcome,  # type: ignore[arg-type]
        header=tuple(header) if header is not None else None,
        column_keys=tuple(column_key(name) for name in header) if header is not None else None,
    )  # fmt: skip


def _load_raw(
    connection: duckdb.DuckDBPyConnection, settings: RunSettings, scratch: Path, focus_keys: set[str]
) -> None:
    """Read the files into the raw layer with the loader's listing, reading and event code, without dlt.

    DuckDB scans each file straight into the read table (`reading.insert_rows`, the shape `CsvReader.batches`
    gives dlt; the rows take the load id as the column's default), which raw.focus_rows then becomes a view
    of (`_rows_view`); the events, file columns and data source are written by `raw_tables.insert_without_dlt`,
    with the same builders dlt gets its tables from.
    """
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    load_id = f"{now.timestamp():.6f}"
    (source,) = settings.sources
    plan = plan_source(source, settings, {}, scratch, read_limits(ReadOptions()))
    if plan.report.failed or plan.store is None:
        raise FocusIngestError(plan.report.failed or "the files could not be listed")
    columns = _narrow_raw_rows(connection, focus_keys)
    connection.execute(f"alter table {READ_TABLE} alter column _dlt_load_id set default '{load_id}'")
    present = [name for name, _ in columns if name not in focus_keys]
    records = [
        _read_file(connection, plan.store, billing_file, Lineage(source.name, billing_file.item.key,
                   billing_file.item.etag, billing_file.month, run_id), present, scratch)
        for billing_file in plan.to_read
    ]  # fmt: skip
    _rows_view(connection, columns, present)
    facts = raw_tables.RunFacts(
        run_id=run_id, data_source=source.name, location=source.location, profile=source.profile,
        source_reached=True, started_at=now, as_of=settings.as_of, events=records, summary={},
        finished_at=datetime.now(UTC),
    )  # fmt: skip
    raw_tables.insert_without_dlt(connection, facts, load_id)


def _validate_cached(paths: list[Path], month: str | None, profile: str) -> list[FileVerdict]:
    with tempfile.TemporaryDirectory(prefix="focus-validate-") as scratch:
        root = Path(scratch) / "files"
        originals = lay_out(paths, month, root)  # wrong arguments fail here, before any compiling
        compiled = compiled_validation.current()
        remember_column_keys(compiled.column_keys)  # the header names dlt normalized for the cache: no dlt here
        database = compiled.database_in(Path(scratch))
        settings = run_settings(root, originals, database, profile)
        with state.connect(database) as connection:
            connection.execute(f"set memory_limit = '{ReadOptions().memory_limit}'")
            connection.execute(f"set temp_directory = '{Path(scratch) / 'spill'}'")
            _load_raw(connection, settings, Path(scratch), set(compiled.column_keys.values()))
            compiled.run(connection)
            return verdicts_of(connection, originals)


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
        rows = "unreadable" if verdict.rows is None else plural(verdict.rows, "row")
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
