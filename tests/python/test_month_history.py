"""The month history (docs/history.md) through the real `focus-ingest run`: a month restated every way a
producer does it, and a feed that goes missing.

The expected versions and changes are computed here, in Python with `Decimal`, from the rows the test
writes into the CSVs; the marts must equal them exactly, the current version must equal costs_monthly,
and the history must stay the same after `focus-ingest vacuum` and `dbt build --full-refresh` (which
remove or rebuild everything it was computed from but int_focus__version_totals).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from loader_helpers import query, run_cli

from focus_ingest.dbt_build import run_dbt_build

pytestmark = pytest.mark.slow  # runs the whole CLI and dbt: `make test-fast` leaves it out

SOURCE = "costs"
MONTH = "2025-03"
HEADER = (
    "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,"
    "ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ListCost,ProviderName,ResourceId,"
    "ServiceCategory,ServiceName,SubAccountId"
)


@dataclass(frozen=True)
class Charge:
    service: str
    sub_account: str
    currency: str
    billed: Decimal
    effective: Decimal


def charge(service: str, sub_account: str, currency: str, billed: str, effective: str) -> Charge:
    return Charge(service, sub_account, currency, Decimal(billed), Decimal(effective))


def csv_text(month: str, charges: list[Charge], currency_as_written: str | None = None) -> str:
    """A FOCUS file; `currency_as_written` (e.g. "US$") replaces every currency, which validation rejects."""
    rows = [
        f"{c.billed},acct-1,{currency_as_written or c.currency},{month}-01T00:00:00Z,{month}-28T00:00:00Z,Usage,"
        f"Recurring,{month}-02T00:00:00Z,{month}-03T00:00:00Z,{c.effective},{c.billed},DC,r-1,Compute,{c.service},"
        f"{c.sub_account}"
        for c in charges
    ]
    return "\n".join([HEADER, *rows]) + "\n"


Totals = dict[str, tuple[Decimal, Decimal]]  # currency -> (billed, effective)
Groups = dict[tuple[str, str, str], tuple[Decimal, Decimal]]  # (child data source, service, currency) -> costs


def _sum(pairs: list[tuple[Any, Charge]]) -> dict:
    sums: dict = {}
    for key, c in pairs:
        billed, effective = sums.get(key, (Decimal(0), Decimal(0)))
        sums[key] = (billed + c.billed, effective + c.effective)
    return sums


class Folder:
    """The source folder, the database, and the test's own record of the month's accepted files."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys
        self.source = root / "bucket"
        self.database = root / "focus.duckdb"
        self.accepted: dict[str, dict[str, list[Charge]]] = {}  # month -> key -> charges
        self.clock = 1_700_000_000  # every write moves the file time on, so a rewrite is a new version

    def write(self, key: str, charges: list[Charge], rejected_as: str | None = None) -> None:
        path = self.source / key
        path.parent.mkdir(parents=True, exist_ok=True)
        month = key.split("/")[0]
        path.write_text(csv_text(month, charges, rejected_as))
        self.clock += 10
        os.utime(path, (self.clock, self.clock))
        if rejected_as is None:
            self.accepted.setdefault(month, {})[key] = charges
        else:
            self.accepted.get(month, {}).pop(key, None)

    def remove(self, key: str) -> None:
        (self.source / key).unlink()
        self.accepted[key.split("/")[0]].pop(key)

    def run(self, as_of: str) -> dict:
        status, summary, err = run_cli(
            self.capsys, "run", "--source", str(self.source), "--name", SOURCE, "--database", str(self.database),
            "--as-of", as_of, "--backfill-from", "2025-01", "--json", "--quiet",
        )  # fmt: skip
        assert status == 0, err
        assert isinstance(summary, dict)
        return summary

    def month_totals(self, month: str) -> Totals:
        return _sum([(c.currency, c) for charges in self.accepted.get(month, {}).values() for c in charges])

    def month_groups(self, month: str) -> Groups:
        return _sum([
            ((f"{SOURCE}/{c.sub_account}", c.service, c.currency), c)
            for charges in self.accepted.get(month, {}).values()
            for c in charges
        ])  # fmt: skip


def _versions(database: Path) -> list[tuple]:
    return query(
        database,
        "select version_number, is_current, file_count, charge_count, billing_currency, billed_cost, effective_cost "
        "from marts.month_versions where data_source_id = ? and billing_month = ? order by all",
        [SOURCE, MONTH],
    )


def _changes(database: Path) -> list[tuple]:
    return query(
        database,
        "select version_number, sub_account_data_source_id, service_name, billing_currency, billed_cost_before, "
        "billed_cost_after, billed_cost_change, effective_cost_before, effective_cost_after, effective_cost_change, "
        "changed_files from marts.month_changes where data_source_id = ? and billing_month = ? order by all",
        [SOURCE, MONTH],
    )


def test_a_restated_month_keeps_every_version_and_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = Folder(tmp_path, capsys)
    a, b, c = f"{MONTH}/a.csv", f"{MONTH}/b.csv", f"{MONTH}/c.csv"

    def first_files() -> None:
        folder.write(a, [charge("Racks", "s1", "USD", "10.01", "9.5"), charge("Disks", "s2", "USD", "5.5", "5.5")])
        folder.write(b, [charge("Racks", "s1", "USD", "1.25", "1.25")])

    # (what the producer does, the change the new version lists); None: the first version, or no new one
    steps = [
        (first_files, None),
        (lambda: folder.write(a, [charge("Racks", "s1", "USD", "12.345", "11.1"),
                                  charge("Disks", "s2", "USD", "5.5", "5.5")]), f"rewritten {a}"),
        (lambda: folder.write(c, [charge("Racks", "s3", "EUR", "7.777777777777777777", "7")]), f"added {c}"),
        (lambda: folder.write(b, [charge("Racks", "s1", "USD", "2.5", "2.5")], rejected_as="US$"), f"rejected {b}"),
        (lambda: folder.remove(c), f"removed {c}"),
        (lambda: folder.write(b, [charge("Racks", "s1", "USD", "2.5", "2.5")]), f"accepted {b}"),
        (lambda: None, None),  # a run that finds nothing new
    ]
    expected_versions: list[tuple[int, int, Totals, Groups]] = []  # (files, charges, totals, groups) per version
    expected_changes: list[tuple] = []
    for step, change in steps:
        step()
        before = expected_versions[-1] if expected_versions else None
        files = folder.accepted.get(MONTH, {})
        state = (len(files), sum(len(charges) for charges in files.values()),
                 folder.month_totals(MONTH), folder.month_groups(MONTH))  # fmt: skip
        if before is None or change is not None:
            expected_versions.append(state)
        if before is not None and change is not None:
            version = len(expected_versions)
            for group in sorted(set(before[3]) | set(state[3])):
                old = before[3].get(group, (Decimal(0), Decimal(0)))
                new = state[3].get(group, (Decimal(0), Decimal(0)))
                if old != new:
                    expected_changes.append(
                        (version, *group, old[0], new[0], new[0] - old[0], old[1], new[1], new[1] - old[1], change)
                    )
        summary = folder.run("2025-03-20")
        restated = [(m["billing_month"], m["versions"]) for m in summary["restated_months"] or []]
        assert restated == ([(MONTH, len(expected_versions))] if change else []), summary["restated_months"]

    rows = _versions(folder.database)
    expected = sorted(
        (number, number == len(expected_versions), files, charges, currency, *amounts)
        for number, (files, charges, totals, _) in enumerate(expected_versions, start=1)
        for currency, amounts in totals.items()
    )
    assert rows == expected
    assert _changes(folder.database) == sorted(expected_changes)

    # The current version is what costs_monthly shows.
    current = {(currency, billed, effective) for _, is_current, _, _, currency, billed, effective in rows if is_current}
    assert current == set(query(
        folder.database,
        "select BillingCurrency, sum(BilledCost), sum(EffectiveCost) from marts.costs_monthly "
        "where x_BillingMonth = ? group by 1",
        [MONTH],
    ))  # fmt: skip

    # vacuum removes the superseded versions' charges and a full refresh rebuilds every other model: the
    # history stays.
    history = (_versions(folder.database), _changes(folder.database))
    charges_before = query(folder.database, "select count(*) from intermediate.int_focus__charges")[0][0]
    status, _, err = run_cli(capsys, "vacuum", "--database", str(folder.database), "--quiet")
    assert status == 0, err
    assert query(folder.database, "select count(*) from intermediate.int_focus__charges")[0][0] < charges_before
    assert run_dbt_build(folder.database, tmp_path / "full-refresh", quiet=True, extra_args=("--full-refresh",))
    assert (_versions(folder.database), _changes(folder.database)) == history


def test_a_month_without_files_is_a_missing_feed_once_it_is_due(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Folder(tmp_path, capsys)
    folder.write("2025-01/a.csv", [charge("Racks", "s1", "USD", "1", "1")])
    # February ends on the 28th: due on March 5th (5 days after).
    summary = folder.run("2025-03-04")
    assert summary["missing_feeds"] == []
    folder.write("2025-03/a.csv", [charge("Racks", "s1", "USD", "2", "2")])
    summary = folder.run("2025-03-05")
    missing = {"data_source": SOURCE, "billing_month": "2025-02", "due_on": "2025-03-05", "as_of": "2025-03-05"}
    assert summary["missing_feeds"] == [missing]

    status, output, err = run_cli(capsys, "status", "--database", str(folder.database), "--json")
    assert status == 0, err
    assert isinstance(output, dict)
    assert output["missing_feeds"] == [missing]
    status, text, err = run_cli(capsys, "status", "--database", str(folder.database))
    assert "missing feeds: costs 2025-02 (due 2025-03-05)" in str(text)

    report = tmp_path / "report.html"
    status, _, err = run_cli(capsys, "report", "--database", str(folder.database), "--output", str(report))
    assert status == 0, err
    page = report.read_text()
    assert 'data-missing-feed="costs 2025-02"' in page
