"""The bad-input corpus: each malformed or hostile file beside a good one, through a whole cycle.

Every case states its verdict and reason. None may crash the run or change another file's rows: the good
file's charges are checked to be exactly the doc example's after all the others went through.
"""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pytest
from loader_helpers import DOC_EXAMPLE, file_statuses, query, run_cli

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

DOC = DOC_EXAMPLE.read_text()
HEADER, *ROWS = DOC.splitlines()
COLUMNS = HEADER.split(",")


def with_cell(column: str, row: int, value: str) -> str:
    """The doc example with one cell replaced (row 1 = first data record); the value is quoted."""
    lines = [HEADER, *ROWS]
    cells = lines[row].split(",")
    cells[COLUMNS.index(column)] = '"' + value.replace('"', '""') + '"'
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


def with_extra_column(name: str, values: list[str]) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    lines = [f"{HEADER},{quoted}"] + [f'{row},"{value}"' for row, value in zip(ROWS, values, strict=True)]
    return "\n".join(lines) + "\n"


GOOD_GZ = gzip.compress(DOC.encode())
TEN_MB = "x" * (10 * 1024 * 1024)

# file name → (content, expected status in marts.file_validation, expected rule of the first error or
# a phrase of the loader's reason; None when accepted)
CASES: dict[str, tuple[bytes | str, str, str | None]] = {
    "corrupt.csv.gz": (b"\x1f\x8b\x08\x00" + b"\xff" * 64, "rejected", "corrupt or truncated gzip data"),
    "truncated.csv.gz": (GOOD_GZ[: len(GOOD_GZ) // 2], "rejected", "corrupt or truncated gzip data"),
    "empty.csv": (b"", "rejected", "empty file: no header line"),
    "header-only.csv": (HEADER + "\n", "accepted", None),
    "bom.csv": (b"\xef\xbb\xbf" + DOC.encode(), "accepted", None),
    "crlf.csv": (DOC.replace("\n", "\r\n"), "accepted", None),
    "quoted.csv": (with_cell("ServiceName", 1, 'Colo, "cage 4"\nrack 2'), "accepted", None),
    "latin1.csv": (with_cell("ServiceName", 2, "Caf\xe9").encode("latin-1"), "rejected", "not UTF-8 encoded"),
    "semicolon.csv": (DOC.replace(",", ";"), "rejected", "looks semicolon-delimited"),
    "duplicate-names.csv": (with_extra_column("BilledCost", ["1", "2", "3"]), "rejected", "duplicate column name"),
    "empty-name.csv": (with_extra_column("", ["1", "2", "3"]), "rejected", "has an empty name"),
    "extra-columns.csv": (with_extra_column("x_Team", ["web", "data", "ops"]), "accepted", None),
    "odd-names.csv": (
        with_extra_column('we"ird; name', ["a", "b", "c"]).replace(HEADER, HEADER + ',"select","my col"', 1)
        .replace('"a"', '"a",1,2').replace('"b"', '"b",3,4').replace('"c"', '"c",5,6'),
        "accepted",
        None,
    ),
    "ten-mb-field.csv": (with_extra_column("x_Notes", [TEN_MB, "", ""]), "accepted", None),
    "thousands.csv": (with_cell("BilledCost", 1, "1,000.00"), "rejected", "decimal_format"),
    "dollar.csv": (with_cell("BilledCost", 1, "$5"), "rejected", "decimal_format"),
    "huge-number.csv": (with_cell("ListCost", 1, "1e400"), "rejected", "decimal_format"),
    "nan.csv": (with_cell("EffectiveCost", 2, "NaN"), "rejected", "decimal_format"),
    "feb-30.csv": (with_cell("ChargePeriodEnd", 1, "2025-02-30T00:00:00Z"), "rejected", "datetime_format"),
    "hour-24.csv": (with_cell("ChargePeriodEnd", 1, "2025-03-02T24:00:00Z"), "rejected", "datetime_format"),
    "offset.csv": (with_cell("ChargePeriodStart", 1, "2025-03-01T02:00:00+02:00"), "rejected", "datetime_format"),
    "formula.csv": (with_cell("ResourceId", 1, '=HYPERLINK("http://x","y")'), "accepted", None),
    "café costs ünïcode.csv": (DOC, "accepted", None),
    "sql-value.csv": (with_cell("ResourceId", 2, "x'); drop table raw.manifest; --"), "accepted", None),
    "sql-name.csv": (with_extra_column('x"); drop table raw.manifest; --', ["1", "2", "3"]), "accepted", None),
    "UPPER.CSV.GZ": (gzip.compress(DOC.encode()), "accepted", None),
}


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    month = root / "bucket" / "2025-03"
    month.mkdir(parents=True)
    (month / "good.csv").write_text(DOC)
    for name, (content, _, _) in CASES.items():
        (month / name).write_bytes(content.encode() if isinstance(content, str) else content)
    database = root / "focus.duckdb"
    status = run_cli_silently(root / "bucket", database)
    assert status == 0
    return database


def run_cli_silently(source: Path, database: Path) -> int:
    from focus_ingest.cli import main

    return main(["run", "--source", str(source), "--database", str(database), "--as-of", "2025-03-20", "--quiet"])


@pytest.mark.parametrize("name", list(CASES))
def test_each_case_gets_its_verdict_and_reason(cycle, name):
    _, status, reason = CASES[name]
    ((verdict, first_error),) = query(cycle, "select status, first_error from marts.file_validation where key = ?",
                                      [f"2025-03/{name}"])
    assert verdict == status
    if reason is None:
        assert first_error is None
        return
    rules = [rule for (rule,) in query(
        cycle, "select rule from marts.validation_errors where key = ? and severity = 'error'", [f"2025-03/{name}"]
    )]
    assert reason in rules or reason in first_error, (rules, first_error)
    if reason in rules:
        assert rules == [reason]  # the case breaks only the rule it is about


def test_the_good_file_is_untouched_by_its_neighbours(cycle):
    assert query(cycle, "select sum(BilledCost), count(*) from marts.focus_charges where x_SourceFile = ?",
                 ["2025-03/good.csv"]) == [(Decimal("125.5"), 3)]


def test_hostile_values_and_names_are_kept_as_text(cycle):
    assert query(cycle, "select ResourceId from marts.focus_charges where x_SourceFile = ? and ResourceId like '=%'",
                 ["2025-03/formula.csv"]) == [('=HYPERLINK("http://x","y")',)]
    assert query(cycle, "select service_name from raw.focus_rows where _ingest_key = ? and _ingest_row_number = 1",
                 ["2025-03/quoted.csv"]) == [('Colo, "cage 4"\nrack 2',)]
    assert query(cycle, "select length(x_notes) from raw.focus_rows where _ingest_key = ? and x_notes <> ''",
                 ["2025-03/ten-mb-field.csv"]) == [(len(TEN_MB),)]
    names = query(cycle, "select column_name, column_key from raw.file_columns where key = ? and position > ?",
                  ["2025-03/odd-names.csv", len(COLUMNS)])
    assert names == [("select", "select"), ("my col", "my_col"), ('we"ird; name', "we_ird_name")]
    assert query(cycle, "select count(*) from marts.focus_charges where x_SourceFile = ?",
                 ["2025-03/odd-names.csv"]) == [(3,)]
    assert query(cycle, "select count(*) from marts.focus_charges where x_SourceFile = ?",
                 ["2025-03/header-only.csv"]) == [(0,)]


def test_values_and_names_never_become_sql(cycle):
    assert query(cycle, "select ResourceId from marts.focus_charges where x_SourceFile = ? and ResourceId like 'x%'",
                 ["2025-03/sql-value.csv"]) == [("x'); drop table raw.manifest; --",)]
    assert query(cycle, "select column_key from raw.file_columns where key = ? and position = ?",
                 ["2025-03/sql-name.csv", len(COLUMNS) + 1]) == [("x_drop_table_raw_manifestxxx",)]  # dlt's snake_case
    assert len(file_statuses(cycle)) == len(CASES) + 1


def test_the_whole_corpus_was_one_run_with_one_summary(capsys, cycle):
    status, report, _ = run_cli(capsys, "status", "--database", str(cycle), "--json")
    assert status == 0
    files = sum(row["files"] for row in report["months"])
    assert files == len(CASES) + 1
