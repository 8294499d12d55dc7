"""Incremental validation and marts equal a full rebuild, step by step, through the real loader and dbt.

Each step changes the source folder as users do (add, rewrite, delete a file, a broken file and its fix, a
new profile), loads it, builds incrementally, then rebuilds a copy of the same database with
`--full-refresh` and compares every mart and every incremental table row for row.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from loader_helpers import DOC_EXAMPLE, SAMPLE_1000, csv_records, query, write

from focus_ingest.cli import main
from focus_ingest.dbt_build import run_dbt_build

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

SOURCE_NAME = "costs"
LOAD_WINDOW = ("--as-of", "2025-03-15", "--backfill-from", "2024-09")
COMPARED_RELATIONS = (
    "marts.focus_charges",
    "marts.costs_monthly",
    "marts.data_sources",
    "marts.file_validation",
    "marts.validation_errors",
    "marts.report_costs_by_sub_account",
    "intermediate.int_focus__row_check_results",
    "intermediate.int_focus__file_rule_results",
    "intermediate.int_focus__charges",
    "intermediate.int_focus__charge_totals",
)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue()


def with_value(header: list[str], rows: list[list[str]], column: str, value: str) -> list[list[str]]:
    """Copy of rows with `column` set to `value` in every row."""
    index = header.index(column)
    return [[value if position == index else cell for position, cell in enumerate(row)] for row in rows]


class Warehouse:
    """A source folder, the database the loader and incremental builds keep, and full-refresh copies of it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.source = root / "source"
        self.database = root / "focus.duckdb"
        self.profile = "any"

    def write(self, key: str, text: str) -> None:
        write(self.source / key, text)

    def delete(self, key: str) -> None:
        (self.source / key).unlink()

    def load_and_build(self) -> None:
        """`focus-ingest load`, then the incremental `dbt build` the loader runs after it."""
        arguments = ["load", "--source", str(self.source), "--name", SOURCE_NAME, "--profile", self.profile]
        assert main([*arguments, "--database", str(self.database), *LOAD_WINDOW, "--quiet"]) == 0
        assert run_dbt_build(self.database, self.root / "incremental", quiet=True)

    def full_refresh_copy(self) -> Path:
        """A copy of the database with every model rebuilt from scratch (`--full-refresh`); the tests ran on
        the incremental build, and the seeds are copied."""
        copy = self.root / "full_refresh.duckdb"
        shutil.copyfile(self.database, copy)
        models_only = ("--exclude-resource-type", "test", "--exclude-resource-type", "seed")
        assert run_dbt_build(copy, self.root / "full-refresh", quiet=True, extra_args=("--full-refresh", *models_only))
        return copy

    def differences_from_full_refresh(self) -> dict[str, str]:
        """Relations whose columns or rows differ between this database and its full-refresh copy."""
        full = self.full_refresh_copy()
        differences = {}
        with duckdb.connect() as connection:
            # Attached under their file names, which dbt wrote into the views' SQL.
            connection.execute(f"attach '{self.database}' (read_only)")
            connection.execute(f"attach '{full}' (read_only)")
            for relation in COMPARED_RELATIONS:
                difference = relation_difference(connection, relation, self.database.stem, full.stem)
                if difference:
                    differences[relation] = difference
        return differences


def relation_difference(connection: duckdb.DuckDBPyConnection, relation: str, left: str, right: str) -> str:
    """'' when both catalogs hold the same columns (name and type) and the same rows (as a multiset)."""
    schema, name = relation.split(".")
    columns = {
        catalog: connection.execute(
            """select column_name, data_type from information_schema.columns
            where table_catalog = ? and table_schema = ? and table_name = ? order by column_name""",
            [catalog, schema, name],
        ).fetchall()
        for catalog in (left, right)
    }
    if columns[left] != columns[right]:
        return f"columns differ: {sorted(set(columns[left]) ^ set(columns[right]))}"
    names = ", ".join(f'"{column}"' for column, _ in columns[left])
    only = {
        (first, second): connection.execute(
            f"select count(*) from (select {names} from {first}.{relation} except all "
            f"select {names} from {second}.{relation})"
        ).fetchone()[0]
        for first, second in ((left, right), (right, left))
    }
    if any(only.values()):
        return f"{only[(left, right)]} row(s) only in the incremental build, {only[(right, left)]} only in the full one"
    return ""


@pytest.fixture(scope="module")
def samples() -> dict[str, tuple[list[str], list[list[str]]]]:
    return {"sample": csv_records(SAMPLE_1000), "doc": csv_records(DOC_EXAMPLE)}


def steps(samples: dict[str, tuple[list[str], list[list[str]]]]) -> list[tuple[str, Callable[[Warehouse], None]]]:
    """What happens to the source folder, in order; the sample's 1,000 rows of 2024-09 in three files."""
    sample_header, sample_rows = samples["sample"]
    doc_header, doc_rows = samples["doc"]
    part = {number: sample_rows[(number - 1) * 350 : number * 350] for number in (1, 2, 3)}
    new_part_1 = with_value(sample_header, part[1], "BilledCost", "1.25")
    bad_currency = with_value(doc_header, doc_rows, "BillingCurrency", "DOLLAR")

    def initial(warehouse: Warehouse) -> None:
        warehouse.write("2024-09/part-1.csv", csv_text(sample_header, part[1]))
        warehouse.write("2024-09/part-2.csv", csv_text(sample_header, part[2]))
        warehouse.write("2025-03/doc_example.csv", csv_text(doc_header, doc_rows))

    def added(warehouse: Warehouse) -> None:
        # With a FOCUS column no file had: int_focus__charges gains a column.
        rows = [[*row, f"INV-{number}"] for number, row in enumerate(part[3])]
        warehouse.write("2024-09/part-3.csv", csv_text([*sample_header, "InvoiceId"], rows))

    def rewritten(warehouse: Warehouse) -> None:
        warehouse.write("2024-09/part-1.csv", csv_text(sample_header, new_part_1))

    def deleted(warehouse: Warehouse) -> None:
        warehouse.delete("2024-09/part-2.csv")

    def broken(warehouse: Warehouse) -> None:
        warehouse.write("2025-03/bad-currency.csv", csv_text(doc_header, bad_currency))
        warehouse.write("2025-03/ragged.csv", "BilledCost,ListCost\n1,2\n3\n")

    def fixed(warehouse: Warehouse) -> None:
        warehouse.write("2025-03/bad-currency.csv", csv_text(doc_header, doc_rows))
        warehouse.write("2025-03/ragged.csv", csv_text(doc_header, doc_rows))

    def strict_profile(warehouse: Warehouse) -> None:
        warehouse.profile = "focus-1.0"  # revalidates every file; the sample's forms are rejected

    def lenient_profile(warehouse: Warehouse) -> None:
        warehouse.profile = "any"

    return [
        ("initial files", initial),
        ("a file added", added),
        ("a file rewritten", rewritten),
        ("a file deleted", deleted),
        ("a rejected and an unreadable file added", broken),
        ("both fixed", fixed),
        ("a strict profile", strict_profile),
        ("the lenient profile again", lenient_profile),
    ]


@dataclass
class StepResult:
    differences: dict[str, str]  # relation → how it differs from the full rebuild
    statuses: dict[str, str]  # "key status" → versions


@pytest.fixture(scope="module")
def sequence(samples, tmp_path_factory: pytest.TempPathFactory) -> dict[str, StepResult]:
    """Every step applied, loaded and built incrementally, then compared with a full rebuild."""
    warehouse = Warehouse(tmp_path_factory.mktemp("incremental"))
    results = {}
    for step, change in steps(samples):
        change(warehouse)
        warehouse.load_and_build()
        statuses = query(
            warehouse.database, "select key || ' ' || status, count(*) from marts.file_validation group by 1"
        )
        results[step] = StepResult(warehouse.differences_from_full_refresh(), dict(statuses))
    return results


def test_each_incremental_build_equals_a_full_rebuild(sequence: dict[str, StepResult]) -> None:
    assert {step: result.differences for step, result in sequence.items() if result.differences} == {}


def test_the_steps_reach_the_states_they_are_meant_to(sequence: dict[str, StepResult]) -> None:
    """The sequence exercises what it claims: replaced, deleted, rejected and unreadable versions, fixes."""
    statuses = {step: result.statuses for step, result in sequence.items()}
    assert statuses["a file rewritten"]["2024-09/part-1.csv replaced"] == 1
    assert statuses["a file deleted"]["2024-09/part-2.csv deleted"] == 1
    assert statuses["a rejected and an unreadable file added"]["2025-03/bad-currency.csv rejected"] == 1
    assert statuses["a rejected and an unreadable file added"]["2025-03/ragged.csv rejected"] == 1
    assert statuses["both fixed"]["2025-03/bad-currency.csv accepted"] == 1
    assert statuses["both fixed"]["2025-03/ragged.csv accepted"] == 1
    assert not [status for status in statuses["a strict profile"] if status.endswith(" accepted")]
    assert statuses["the lenient profile again"] == statuses["both fixed"]


def test_an_incremental_build_reads_only_the_file_versions_it_has_not_checked(samples, tmp_path: Path) -> None:
    """A checked file version is not read again: a raw value changed behind the loader's back (which it
    never does) stays unseen by the incremental build, while a full rebuild sees it."""
    sample_header, sample_rows = samples["sample"]
    warehouse = Warehouse(tmp_path)
    warehouse.write("2024-09/part-1.csv", csv_text(sample_header, sample_rows[:500]))
    warehouse.load_and_build()
    with duckdb.connect(str(warehouse.database)) as connection:
        connection.execute("update raw.focus_rows set billed_cost = 'not a number' where _ingest_row_number = 1")

    warehouse.write("2024-09/part-2.csv", csv_text(sample_header, sample_rows[500:]))
    warehouse.load_and_build()

    verdicts = "select key, status from marts.file_validation order by key"
    assert query(warehouse.database, verdicts) == [
        ("2024-09/part-1.csv", "accepted"),
        ("2024-09/part-2.csv", "accepted"),
    ]
    full = warehouse.full_refresh_copy()
    assert query(full, verdicts) == [("2024-09/part-1.csv", "rejected"), ("2024-09/part-2.csv", "accepted")]
