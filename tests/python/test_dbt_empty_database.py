"""`dbt parse`, `compile` and `docs generate` work on an empty database: no seeds, no raw tables.

Column lists come from files of the project (the generated macro focus_reference, the loader's
focus_catalog), never from queries of the live database, so a new user, CI or another engine can compile
the project before anything is loaded (issue 10, docs/design/scale-out.md §3.5).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from loader_helpers import load, minimal_file, query, write

from focus_ingest import pipeline
from focus_ingest.dbt_build import DATABASE_VARIABLE, project_dir
from focus_ingest.focus_catalog import focus_column_keys, text_column_hints

pytestmark = pytest.mark.slow  # runs dbt: `make test-fast` leaves it out

COMMANDS = (["parse"], ["compile"], ["docs", "generate"])


@pytest.fixture
def empty_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    monkeypatch.setenv(DATABASE_VARIABLE, str(database))
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return database


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(command) for command in COMMANDS])
def test_dbt_command_succeeds_on_an_empty_database(empty_database: Path, tmp_path: Path, command: list[str]) -> None:
    from dbt.cli.main import dbtRunner

    project = project_dir()
    target = tmp_path / "target"
    result = dbtRunner().invoke(
        [
            *command,
            *("--project-dir", str(project), "--profiles-dir", str(project)),
            *("--target-path", str(target), "--log-path", str(tmp_path / "logs")),
        ]
    )
    assert result.success, result.exception
    assert (target / "manifest.json").is_file()
    if command != ["parse"]:
        compiled = target / "compiled" / "focus_ingest" / "models"
        staging = (compiled / "staging" / "stg_focus__rows.sql").read_text()
        # every column is selected by name, whether or not the database has it
        assert "raw_rows.billed_cost" in staging and "raw_rows.provider" in staging
        charges = (compiled / "marts" / "focus_charges.sql").read_text()
        assert "charges.service_provider_name as ServiceProviderName" in charges
    if command == ["docs", "generate"]:
        assert (target / "catalog.json").is_file()
    DuckDBConnectionManager.close_all_connections()  # dbt keeps the database open in this process
    with duckdb.connect(str(empty_database), read_only=True) as connection:
        tables = connection.execute("select count(*) from information_schema.tables").fetchone()
    assert tables == (0,), "parse, compile and docs generate must not create tables"


def _seed_keys(name: str, column: str) -> set[str]:
    with (project_dir() / "seeds" / name).open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def test_catalog_holds_every_column_and_alias_key_once() -> None:
    keys = focus_column_keys(project_dir())
    assert len(keys) == len(set(keys))
    assert set(keys) == _seed_keys("focus_columns.csv", "column_key") | _seed_keys(
        "focus_column_aliases.csv", "alias_key"
    )
    assert {"billed_cost", "service_provider_name", "provider_name", "provider"} <= set(keys)
    hints = text_column_hints(project_dir())
    assert hints["billed_cost"] == {"name": "billed_cost", "data_type": "text", "nullable": True}


def _raw_columns(database: Path) -> list[str]:
    return [name for (name,) in query(database, "select name from pragma_table_info('raw.focus_rows')")]


def test_a_load_with_nothing_to_read_declares_every_focus_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """dlt's hints only act on a load that carries rows; the raw table has every column without one too."""
    database = tmp_path / "focus.duckdb"
    (tmp_path / "bucket" / "2026-01").mkdir(parents=True)
    summary = load(capsys, database, str(tmp_path / "bucket"), "--as-of", "2026-01-15")
    assert summary["totals"]["files_new"] == 0
    assert set(focus_column_keys(project_dir())) <= set(_raw_columns(database))


def test_a_database_of_an_earlier_version_gets_the_missing_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database loaded by a version whose catalog lacked columns (an older FOCUS version's seeds): the next
    load's hints add the rest (dlt evolves the schema)."""
    database = tmp_path / "focus.duckdb"
    bucket = tmp_path / "bucket"
    write(bucket / "2026-01" / "a.csv", "BilledCost,BillingCurrency,ChargePeriodStart,x_Team\n1.00,USD,2026-01-01,a\n")
    carried = {"billed_cost", "billing_currency", "charge_period_start"}
    with monkeypatch.context() as earlier:  # the catalog as an earlier version had it
        earlier.setattr(pipeline, "text_column_hints", lambda project: {
            key: hint for key, hint in text_column_hints(project).items() if key in carried
        })  # fmt: skip
        load(capsys, database, str(bucket), "--as-of", "2026-01-15")
    assert "service_name" not in _raw_columns(database)
    write(bucket / "2026-01" / "b.csv", minimal_file("2026-01", 3))
    summary = load(capsys, database, str(bucket), "--as-of", "2026-01-15")
    assert summary["totals"]["files_new"] == 1
    columns = _raw_columns(database)
    assert set(focus_column_keys(project_dir())) <= set(columns) and "x_team" in columns
    rows = "select _ingest_key, billed_cost, x_team, service_name from raw.focus_rows order by _ingest_key"
    assert query(database, rows) == [
        ("2026-01/a.csv", "1.00", "a", None),
        *[("2026-01/b.csv", "1.00", None, None)] * 3,
    ]
