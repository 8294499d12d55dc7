"""Incremental validation and marts equal a full rebuild, step by step, through the real loader and dbt.

Each step changes the source folder as users do (add, rewrite, delete a file, a broken file and its fix, a
new profile), loads it, builds incrementally, then rebuilds a copy of the same database with
`--full-refresh` and compares every mart row for row, and the current file versions' rows of every
incremental table: superseded versions' rows stay in those until `focus-ingest vacuum` (test_vacuum.py).
"""

from __future__ import annotations

import csv
import io
import itertools
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
    "intermediate.int_focus__file_rule_results",
    "intermediate.int_focus__row_check_results",
    "intermediate.int_focus__charges",
    "intermediate.int_focus__charge_totals",
)
# The models incremental by file version, each with the model of its current validation ids (its readers
# join that one): only those rows are compared with a full rebuild.
CURRENT_VALIDATIONS = {
    "intermediate.int_focus__row_check_results": "intermediate.int_focus__loaded_files",
    "intermediate.int_focus__charges": "intermediate.int_focus__accepted_files",
    "intermediate.int_focus__charge_totals": "intermediate.int_focus__accepted_files",
}


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

    def rows(catalog: str) -> str:
        current = CURRENT_VALIDATIONS.get(relation)
        kept = f" where validation_id in (select validation_id from {catalog}.{current})" if current else ""
        return f"select {names} from {catalog}.{relation}{kept}"

    only = {
        (first, second): connection.execute(
            f"select count(*) from ({rows(first)} except all {rows(second)})"
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


def stored_rows(database: Path) -> dict[str, tuple[int, int]]:
    """Per incremental model: its rows, and those of file versions that are not current."""
    return {
        relation: query(
            database,
            f"select count(*), count(case when validation_id not in (select validation_id from {current}) "
            f"then 1 end) from {relation}",
        )[0]
        for relation, current in CURRENT_VALIDATIONS.items()
    }


@dataclass
class StepResult:
    differences: dict[str, str]  # relation → how it differs from the full rebuild
    statuses: dict[str, str]  # "key status" → versions
    stored: dict[str, tuple[int, int]]  # incremental model → (rows, rows of versions not current)


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
        differences = warehouse.differences_from_full_refresh()
        results[step] = StepResult(differences, dict(statuses), stored_rows(warehouse.database))
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


def test_superseded_versions_rows_stay_until_vacuum(sequence: dict[str, StepResult]) -> None:
    """No build deletes a row: a rewritten file leaves its old version's rows in every incremental model
    (the marts still equal a full rebuild, above), and the lenient profile's versions, current again
    after the strict profile, find their rows there and are not added twice (compared above)."""
    stored = {step: result.stored for step, result in sequence.items()}
    assert [superseded for _, superseded in stored["initial files"].values()] == [0, 0, 0]
    assert all(superseded > 0 for _, superseded in stored["a file rewritten"].values()), stored["a file rewritten"]
    for before, after in itertools.pairwise(stored.values()):
        assert all(after[relation][0] >= before[relation][0] for relation in CURRENT_VALIDATIONS), (before, after)
    # Back to the lenient profile: nothing new to add, so every model holds what it held under it before.
    for relation in CURRENT_VALIDATIONS:
        assert stored["the lenient profile again"][relation][0] == stored["a strict profile"][relation][0]


def test_a_partial_validation_is_completed_once(samples, tmp_path: Path) -> None:
    """A file version whose rows are only partly in an incremental model (a build cut short, rows lost) is
    not complete: the next build adds it again, whole and once, in each model; a doubled one too."""
    sample_header, sample_rows = samples["sample"]
    warehouse = Warehouse(tmp_path)
    warehouse.write("2024-09/part-1.csv", csv_text(sample_header, sample_rows[:600]))
    warehouse.write("2024-09/part-2.csv", csv_text(sample_header, sample_rows[600:]))
    warehouse.load_and_build()
    current = "select validation_id from intermediate.int_focus__accepted_files where key = ?"
    part_1, part_2 = (query(warehouse.database, current, [f"2024-09/part-{part}.csv"])[0][0] for part in (1, 2))
    stored = "select validation_id, count(*) from {} group by 1"
    with duckdb.connect(str(warehouse.database)) as connection:
        for relation in CURRENT_VALIDATIONS:
            # Part 1: a third of its rows gone; part 2: its rows there twice.
            rows = dict(connection.execute(stored.format(relation)).fetchall())[part_1]
            connection.execute(
                f"delete from {relation} where rowid in (select rowid from {relation} where validation_id = ? "
                f"order by rowid limit {rows // 3})",
                [part_1],
            )
            connection.execute(f"insert into {relation} select * from {relation} where validation_id = ?", [part_2])
    broken = {relation: dict(query(warehouse.database, stored.format(relation))) for relation in CURRENT_VALIDATIONS}

    assert run_dbt_build(warehouse.database, warehouse.root / "incremental", quiet=True)

    for relation in CURRENT_VALIDATIONS:
        counts = dict(query(warehouse.database, stored.format(relation)))
        assert broken[relation][part_1] < counts[part_1] and broken[relation][part_2] == 2 * counts[part_2], relation
    assert warehouse.differences_from_full_refresh() == {}


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
