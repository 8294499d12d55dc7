"""Shared helpers of the loader tests: run the real CLI and read the database it wrote."""

from __future__ import annotations

import csv
import gzip
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from focus_ingest.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "reference" / "focus-samples"
DOC_EXAMPLE = SAMPLES / "doc_example.csv"
SAMPLE_1000 = SAMPLES / "focus_sample_1000.csv"


def run_cli(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, dict | str, str]:
    """Run `focus-ingest` in-process; returns (exit status, parsed JSON or text stdout, stderr)."""
    status = main(list(arguments))
    captured = capsys.readouterr()
    output: dict | str = captured.out
    if "--json" in arguments and captured.out.strip():
        output = json.loads(captured.out)
    return status, output, captured.err


def load(capsys: pytest.CaptureFixture[str], database: Path, source: str, *extra: str) -> dict:
    status, summary, err = run_cli(capsys, "load", "--source", source, "--database", str(database), "--json", *extra)
    assert status == 0, err
    return summary


def query(database: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def loaded_rows(database: Path, key_suffix: str = "") -> int:
    return query(
        database,
        "select count(*) from raw.focus_rows where _ingest_key like ?",
        [f"%{key_suffix}"],
    )[0][0]


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data) if path.name.lower().endswith(".gz") else data)
    return path


def csv_records(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


MINIMAL_HEADER = "BilledCost,BillingCurrency,ChargePeriodStart\n"


def minimal_file(month: str, rows: int, amount: str = "1.00") -> str:
    """A small CSV whose rows are easy to count; the loader does not validate FOCUS rules (dbt does)."""
    return MINIMAL_HEADER + "".join(f"{amount},USD,{month}-01T00:00:00Z\n" for _ in range(rows))


def file_statuses(database: Path) -> list[dict]:
    """Every file version with its status, derived from the raw event log in Python, independently of the
    SQL rule the loader (known_versions.py) and dbt (int_focus__file_statuses) share.

    An event counts only when its load is in raw._dlt_loads with status 0. Per key, its latest counted
    event (by load id as a number) decides: loaded or rejected make that version current, deleted makes
    it `deleted`; every other version of the key is `replaced`. Each version carries the fields of its
    own latest event, plus `first_load` (its first counted load, to order versions by).
    """
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = {name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
        if not {"file_versions", "_dlt_loads"} <= tables:
            return []
        completed = {load_id for (load_id,) in connection.execute(
            "select load_id from raw._dlt_loads where status = 0").fetchall()}
        cursor = connection.execute("select * from raw.file_versions")
        names = [column[0] for column in cursor.description]
        events = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    counted = sorted((e for e in events if e["_dlt_load_id"] in completed), key=lambda e: Decimal(e["_dlt_load_id"]))
    latest_of_key: dict[tuple[str, str], dict] = {}
    versions: dict[tuple[str, str, str], dict] = {}
    first_load: dict[tuple[str, str, str], str] = {}
    for event in counted:  # in load order: later events overwrite earlier ones
        version = (event["data_source"], event["key"], event["etag"])
        latest_of_key[version[:2]] = event
        versions[version] = event
        first_load.setdefault(version, event["_dlt_load_id"])
    statuses = []
    for version, event in versions.items():
        status = "replaced" if latest_of_key[version[:2]] is not event else event["event"]
        load_id = event["_dlt_load_id"]
        statuses.append({**event, "status": status, "load_id": load_id, "first_load": first_load[version]})
    return sorted(statuses, key=lambda s: (s["data_source"], s["key"], Decimal(s["first_load"])))


def query_statuses(database: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    """Run `sql` against `file_statuses`, the versions `file_statuses(database)` derives (columns of
    raw.file_versions plus status, load_id and first_load)."""
    statuses = file_statuses(database)
    with duckdb.connect() as connection:
        if statuses:
            columns = list(statuses[0])
            table = pa.table({name: [s[name] for s in statuses] for name in columns})
        else:
            table = pa.table({name: pa.array([], pa.string()) for name in
                              ("data_source", "key", "etag", "billing_month", "event", "status", "error", "header",
                               "read_limits", "load_id", "first_load", "run_id")}
                             | {"row_count": pa.array([], pa.int64()), "error_line": pa.array([], pa.int64())})
        connection.register("file_statuses", table)
        return connection.execute(sql, parameters or []).fetchall()
