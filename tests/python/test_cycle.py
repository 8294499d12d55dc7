"""The whole cycle as users run it: `focus-ingest run` (load, then dbt build) and `focus-ingest demo`."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
from loader_helpers import DOC_EXAMPLE, query, run_cli, write

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

AS_OF = ("--as-of", "2025-03-15")


def test_run_builds_the_marts_and_skips_the_build_when_nothing_changed(capsys, tmp_path):
    source = tmp_path / "bucket"
    database = tmp_path / "focus.duckdb"
    path = write(source / "2025-03" / "doc_example.csv", b"")
    shutil.copy(DOC_EXAMPLE, path)
    run = ("run", "--source", str(source), "--database", str(database), "--quiet", *AS_OF)

    assert run_cli(capsys, *run)[0] == 0
    assert query(database, "select sum(BilledCost) from marts.focus_charges") == [(Decimal("125.5"),)]

    status, out, _ = run_cli(capsys, *run)
    assert status == 0
    assert "dbt build: skipped (nothing changed since the last successful build; --rebuild forces it)" in out
    assert query(database, "select count(*), bool_and(succeeded) from raw.builds") == [(1, True)]

    path.write_text(path.read_text().replace("150.00,acct-001", "200.00,acct-001", 1))
    assert run_cli(capsys, *run)[0] == 0
    assert query(database, "select sum(BilledCost) from marts.focus_charges") == [(Decimal("175.5"),)]

    assert run_cli(capsys, *run, "--rebuild")[0] == 0
    assert query(database, "select count(*) from raw.builds") == [(3,)]


def test_demo_shows_costs_per_sub_account_and_the_rejected_file_with_its_reason(capsys, tmp_path):
    status, out, _ = run_cli(capsys, "demo", "--workdir", str(tmp_path / "demo"))

    assert status == 0
    assert "Billed cost per sub-account, USD (marts.costs_monthly):" in out
    rejected_part = out.split("Rejected files")[1]
    assert "bad-currency.csv" in rejected_part and "currency_code" in rejected_part
    assert "dbt build: done" in out and "result: ok, 1 file rejected" in out
    database = tmp_path / "demo" / "focus.duckdb"
    assert query(database, "select count(distinct x_BillingMonth) from marts.costs_monthly") == [(3,)]
