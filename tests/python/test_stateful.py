"""Stateful property test: random sequences of file adds, rewrites, deletes, bad files, runs and runs
interrupted before dlt's commit.

After every completed load the raw layer holds exactly the rows of the files that are there now, and the
status of every file version follows from the event log by the rule the test derives on its own
(loader_helpers.file_statuses): the files there now are current (loaded, or rejected when unreadable),
keys gone are deleted, and the loader's own SQL rule (known_versions) agrees. At the end of each sequence
a dbt build gives marts equal to a model the test keeps on its own (which files are accepted, how many
charges and how much money each holds), the month history's current version of each month equals the
model's month, and dbt's int_focus__file_statuses equals the derived statuses.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from unittest import mock

import duckdb
import pytest
from dlt.destinations.job_client_impl import SqlJobClientBase
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, rule
from loader_helpers import file_statuses

from focus_ingest import known_versions, state
from focus_ingest.cli import main

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

MONTHS = ("2025-01", "2025-02", "2025-03")
AS_OF = "2025-03-15"
HEADER = (
    "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,"
    "ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,EffectiveCost,ListCost,ProviderName,ResourceId,"
    "ServiceCategory,ServiceName"
)


@dataclass(frozen=True)
class Expected:
    """What the test knows of one file: its month, charges, amount per charge and verdict."""

    month: str
    rows: int
    amount: Decimal
    kind: str  # good | bad_currency (loaded, rejected by validation) | unreadable (rejected by the loader)

    @property
    def accepted(self) -> bool:
        return self.kind == "good" or (self.kind == "bad_currency" and self.rows == 0)  # no row breaks a rule

    def content(self) -> str:
        if self.kind == "unreadable":
            return HEADER + "\n1.00,acct\n"
        currency = "US$" if self.kind == "bad_currency" else "USD"
        m = self.month
        row = (
            f"{self.amount},acct-1,{currency},{m}-01T00:00:00Z,{m}-28T00:00:00Z,Usage,Recurring,"
            f"{m}-02T00:00:00Z,{m}-03T00:00:00Z,{self.amount},{self.amount},DC,r-1,Compute,Racks"
        )
        return HEADER + "\n" + "".join(row + "\n" for _ in range(self.rows))


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _quietly(arguments: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()):
        return main([*arguments, "--quiet"])


class IngestionMachine(RuleBasedStateMachine):
    keys = Bundle("keys")

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="focus-stateful-"))
        self.source = self.root / "bucket"
        for month in MONTHS:
            (self.source / month).mkdir(parents=True)
        self.database = self.root / "focus.duckdb"
        self.model: dict[str, Expected] = {}
        self.counted: set[str] = set()  # keys some completed load has seen
        self.files_made = 0
        self.clock = 1_700_000_000  # file times only move forward, so every rewrite is a new version

    def _write(self, key: str, expected: Expected) -> None:
        path = self.source / key
        path.write_text(expected.content())
        self.clock += 10
        os.utime(path, (self.clock, self.clock))
        self.model[key] = expected

    @rule(
        target=keys,
        month=st.sampled_from(MONTHS),
        rows=st.integers(0, 4),
        cents=st.integers(-50_000, 50_000),
        kind=st.sampled_from(["good", "good", "bad_currency", "unreadable"]),
    )
    def add_file(self, month: str, rows: int, cents: int, kind: str) -> str:
        self.files_made += 1
        key = f"{month}/file-{self.files_made}.csv"
        self._write(key, Expected(month, rows, Decimal(cents).scaleb(-2), kind))
        return key

    @rule(
        key=keys,
        rows=st.integers(0, 4),
        cents=st.integers(-50_000, 50_000),
        kind=st.sampled_from(["good", "bad_currency", "unreadable"]),
    )
    def rewrite_file(self, key: str, rows: int, cents: int, kind: str) -> None:
        if key in self.model:
            self._write(key, Expected(self.model[key].month, rows, Decimal(cents).scaleb(-2), kind))

    @rule(key=consumes(keys))
    def delete_file(self, key: str) -> None:
        if key in self.model:
            (self.source / key).unlink()
            del self.model[key]

    def _load(self) -> int:
        return _quietly(["load", "--source", str(self.source), "--database", str(self.database), "--as-of", AS_OF])

    @rule()
    def run_load(self) -> None:
        """After every load the raw layer holds the rows of exactly the files there now."""
        assert self._load() == 0
        stored = dict(_query(self.database, "select _ingest_key, count(*) from raw.focus_rows group by 1"))
        assert stored == {key: e.rows for key, e in self.model.items() if e.kind != "unreadable" and e.rows}
        self.counted |= set(self.model)
        self._statuses_follow_the_events()

    @rule()
    def interrupted_load(self) -> None:
        """Every job of the package lands, then the run dies before dlt writes the package's `_dlt_loads`
        row: nothing of it counts until the next run finishes that package (and then loads what changed)."""

        def die(*_: object) -> None:
            raise KeyboardInterrupt

        with mock.patch.object(SqlJobClientBase, "complete_load", die):
            self._load()

    def _statuses_follow_the_events(self) -> None:
        derived = file_statuses(self.database)
        current = {s["key"]: s["status"] for s in derived if s["status"] in ("loaded", "rejected")}
        assert current == {key: "rejected" if e.kind == "unreadable" else "loaded" for key, e in self.model.items()}
        deleted = {s["key"] for s in derived if s["status"] == "deleted"}
        assert deleted == self.counted - set(self.model)
        with state.connect(self.database, read_only=True) as connection:
            known = known_versions.current_versions(connection, "bucket")
        assert {key: (v.etag, v.status) for key, v in known.items()} == {
            s["key"]: (s["etag"], s["status"]) for s in derived if s["status"] in ("loaded", "rejected")
        }

    def teardown(self) -> None:
        try:
            if self.model:
                assert (
                    _quietly(["run", "--source", str(self.source), "--database", str(self.database), "--as-of", AS_OF])
                    == 0
                )
                self._marts_match_the_model()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def _marts_match_the_model(self) -> None:
        (schema,) = _query(
            self.database,
            "select table_schema from information_schema.tables where table_name = 'int_focus__file_statuses'",
        )[0]
        dbt_statuses = _query(
            self.database, f"select data_source_id, key, etag, status, load_id from {schema}.int_focus__file_statuses"
        )
        assert sorted(dbt_statuses) == sorted(
            (s["data_source"], s["key"], s["etag"], s["status"], s["load_id"]) for s in file_statuses(self.database)
        )
        verdicts = dict(
            _query(
                self.database, "select key, status from marts.file_validation where status in ('accepted', 'rejected')"
            )
        )
        assert verdicts == {key: "accepted" if e.accepted else "rejected" for key, e in self.model.items()}
        charges = {
            key: (count, total)
            for key, count, total in _query(
                self.database, "select x_SourceFile, count(*), sum(BilledCost) from marts.focus_charges group by 1"
            )
        }
        assert charges == {key: (e.rows, e.amount * e.rows) for key, e in self.model.items() if e.accepted and e.rows}
        by_month = dict(
            _query(self.database, "select x_BillingMonth, sum(BilledCost) from marts.costs_monthly group by 1")
        )
        expected_months: dict[str, Decimal] = {}
        for e in self.model.values():
            if e.accepted and e.rows:
                expected_months[e.month] = expected_months.get(e.month, Decimal(0)) + e.amount * e.rows
        assert by_month == expected_months
        # The month history's current version of each month is the model's month: its accepted files and money.
        current_versions = _query(
            self.database,
            "select billing_month, file_count, billing_currency, billed_cost from marts.month_versions "
            "where is_current",
        )
        assert {month: files for month, files, _, _ in current_versions if files} == {
            month: count
            for month in MONTHS
            if (count := sum(1 for e in self.model.values() if e.month == month and e.accepted))
        }
        assert {month: billed for month, _, currency, billed in current_versions if currency is not None} == (
            expected_months
        )


IngestionMachine.TestCase.settings = settings(
    max_examples=3, stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)
)
test_random_sequences_of_changes_keep_raw_layer_and_marts_exact = IngestionMachine.TestCase
