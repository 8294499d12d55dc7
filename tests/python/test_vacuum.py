"""`focus-ingest vacuum`: superseded file versions' rows leave the incremental models, and no mart changes.

The builds keep every version's rows (test_dbt_incremental.py); vacuum is the optional clean-up. Its
tests run the real loader, dbt and the command, and compare every mart row for row before and after.
"""

from __future__ import annotations

import fcntl
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from loader_helpers import DOC_EXAMPLE, SAMPLE_1000, csv_records, query
from test_dbt_incremental import CURRENT_VALIDATIONS, Warehouse, csv_text, stored_rows, with_value

from focus_ingest import state
from focus_ingest.cli import main
from focus_ingest.dbt_build import run_dbt
from focus_ingest.pipeline import work_dir_for

VACUUMED = ("intermediate.int_focus__row_check_results", "intermediate.int_focus__charges")
KEPT = "intermediate.int_focus__charge_totals"  # every version's sums stay: month history (issue 14)


def mart_rows(database: Path) -> dict[str, Counter]:
    """Every relation of the marts schema (tables and views) as a multiset of rows."""
    with duckdb.connect(str(database), read_only=True) as connection:
        names = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        return {name: Counter(connection.execute(f"select * from marts.{name}").fetchall()) for (name,) in names}


def relation_rows(database: Path, relation: str) -> Counter:
    return Counter(query(database, f"select * from {relation}"))


def current_rows(database: Path, relation: str) -> Counter:
    current = CURRENT_VALIDATIONS[relation]
    return Counter(
        query(database, f"select * from {relation} where validation_id in (select validation_id from {current})")
    )


def vacuum_command(capsys: pytest.CaptureFixture[str], database: Path, *options: str) -> tuple[int, str, str]:
    capsys.readouterr()  # what the loads before printed
    status = main(["vacuum", "--database", str(database), *options])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def samples() -> dict[str, tuple[list[str], list[list[str]]]]:
    return {"sample": csv_records(SAMPLE_1000), "doc": csv_records(DOC_EXAMPLE)}


@pytest.mark.slow
def test_vacuum_removes_superseded_rows_and_changes_no_mart(samples, tmp_path: Path, capsys) -> None:
    sample_header, sample_rows = samples["sample"]
    doc_header, doc_rows = samples["doc"]
    warehouse = Warehouse(tmp_path)
    warehouse.write("2024-09/part-1.csv", csv_text(sample_header, sample_rows[:500]))
    warehouse.write("2024-09/part-2.csv", csv_text(sample_header, sample_rows[500:]))
    warehouse.write("2025-03/doc_example.csv", csv_text(doc_header, doc_rows))
    warehouse.load_and_build()
    # A rewritten file and a deleted one: their first versions are superseded.
    rewritten = with_value(sample_header, sample_rows[:500], "BilledCost", "2.5")
    warehouse.write("2024-09/part-1.csv", csv_text(sample_header, rewritten))
    warehouse.delete("2024-09/part-2.csv")
    warehouse.load_and_build()
    before = stored_rows(warehouse.database)
    assert all(before[relation][1] > 0 for relation in CURRENT_VALIDATIONS), before
    marts_before = mart_rows(warehouse.database)
    totals_before = relation_rows(warehouse.database, KEPT)
    marts = {"focus_charges", "costs_monthly", "data_sources", "file_validation", "validation_errors"}
    assert marts <= set(marts_before)

    status, out, err = vacuum_command(capsys, warehouse.database)

    assert status == 0, err
    removed = {relation: before[relation][1] for relation in VACUUMED}
    assert out == (
        f"vacuum: superseded rows removed: {removed[VACUUMED[0]]:,} from int_focus__row_check_results, "
        f"{removed[VACUUMED[1]]:,} from int_focus__charges\n"
    )
    after = stored_rows(warehouse.database)
    for relation in VACUUMED:
        assert after[relation] == (before[relation][0] - before[relation][1], 0), relation
    assert relation_rows(warehouse.database, KEPT) == totals_before
    assert mart_rows(warehouse.database) == marts_before
    # Nothing left to remove; the JSON form says so per model.
    status, out, _ = vacuum_command(capsys, warehouse.database, "--json")
    assert (status, out) == (0, '{"rows_removed": {"int_focus__row_check_results": 0, "int_focus__charges": 0}}\n')
    # A build after vacuum: still equal to a full rebuild, marts unchanged.
    assert warehouse.differences_from_full_refresh() == {}


@pytest.mark.slow
def test_a_version_vacuumed_then_current_again_is_added_again(samples, tmp_path: Path, capsys) -> None:
    """A strict profile supersedes every lenient version and vacuum removes their rows; back to the
    lenient profile, the same versions are current again, not complete, so the build adds them whole."""
    sample_header, sample_rows = samples["sample"]
    warehouse = Warehouse(tmp_path)
    warehouse.write("2024-09/part-1.csv", csv_text(sample_header, sample_rows))
    warehouse.load_and_build()
    lenient = {relation: current_rows(warehouse.database, relation) for relation in VACUUMED}
    marts_lenient = mart_rows(warehouse.database)
    warehouse.profile = "focus-1.0"
    warehouse.load_and_build()
    assert vacuum_command(capsys, warehouse.database)[0] == 0
    assert query(warehouse.database, "select count(*) from intermediate.int_focus__charges") == [(0,)]

    warehouse.profile = "any"
    warehouse.load_and_build()

    assert {relation: current_rows(warehouse.database, relation) for relation in VACUUMED} == lenient
    assert mart_rows(warehouse.database) == marts_lenient
    assert warehouse.differences_from_full_refresh() == {}


@pytest.mark.slow
def test_vacuum_before_any_build_has_nothing_to_do(tmp_path: Path, capsys) -> None:
    database = tmp_path / "focus.duckdb"
    duckdb.connect(str(database)).close()  # a DuckDB file without the models: `load` only, or a new one
    status, out, err = vacuum_command(capsys, database)
    assert (status, out, err) == (0, "vacuum: nothing to do, the database has not been built yet\n", "")


@pytest.mark.slow
def test_vacuum_on_spark_says_it_is_not_implemented(tmp_path: Path) -> None:
    """The Spark branch of the macro (its `default__`), called directly: a clear error, no SQL run."""
    database = tmp_path / "focus.duckdb"
    duckdb.connect(str(database)).close()
    result = run_dbt(("run-operation", "default__vacuum_superseded"), database, work_dir_for(database), quiet=True)
    assert not result.success
    assert "vacuum on Spark is not implemented yet" in " ".join(result.errors)


def test_vacuum_of_a_missing_database_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    status, out, err = vacuum_command(capsys, tmp_path / "missing.duckdb")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "missing.duckdb does not exist yet" in err and "Traceback" not in err


def test_vacuum_waits_for_no_one_while_a_run_holds_the_lock(tmp_path: Path, capsys) -> None:
    database = tmp_path / "focus.duckdb"
    duckdb.connect(str(database)).close()
    with state.lock_path_of(database).open("a") as handle:  # another open file: as another process would
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        status, out, err = vacuum_command(capsys, database)
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "Another focus-ingest run is using" in err
