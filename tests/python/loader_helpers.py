"""Shared helpers of the loader tests: run the real CLI and read the database it wrote."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import duckdb
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
