"""End-to-end tests of validation and marts: files in month folders, the real loader, dbt build, marts out."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from focus_ingest.cli import main
from focus_ingest.dbt_build import MEMORY_LIMIT_VARIABLE
from focus_ingest.settings import DEFAULT_MEMORY_LIMIT

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT / "reference" / "focus-samples"


# --- the data, through the real loader ----------------------------------------------------------------


@dataclass
class RawFile:
    """One file of a data source folder: CSV rows, or raw bytes for a file the loader cannot read."""

    data_source: str
    key: str
    billing_month: str
    header: list[str]
    rows: list[list[str]]
    content: bytes | None = None

    def write(self, root: Path) -> None:
        path = root / self.data_source / self.key
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.content is not None:
            path.write_bytes(self.content)
            return
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows([self.header, *self.rows])


def read_sample(name: str) -> tuple[list[str], list[list[str]]]:
    with (SAMPLES_DIR / name).open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def load_with_the_loader(root: Path, database: Path, profiles: dict[str, str], files: list[RawFile]) -> None:
    """Lay the files out as month folders, one folder per data source, and run `focus-ingest load`."""
    for file in files:
        file.write(root)
    config = root / "sources.toml"
    config.write_text(
        "".join(
            f'[[sources]]\nname = "{name}"\nlocation = "{root / name}"\nprofile = "{profile}"\n\n'
            for name, profile in profiles.items()
        )
    )
    arguments = ["load", "--config", str(config), "--database", str(database), "--quiet"]
    assert main([*arguments, "--as-of", "2025-03-15", "--backfill-from", "2024-09"]) == 0


def run_dbt(database: Path, work_dir: Path, *args: str) -> dbtRunnerResult:
    """Run dbt in-process the way the loader does, keeping target/ and logs/ out of the repository."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FOCUS_INGEST_DATABASE", str(database))
        patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        return dbtRunner().invoke(
            [
                *args,
                "--project-dir",
                str(REPO_ROOT),
                "--profiles-dir",
                str(REPO_ROOT),
                "--target-path",
                str(work_dir / "target"),
                "--log-path",
                str(work_dir / "logs"),
            ]
        )


# --- test data ---------------------------------------------------------------------------------------


def changed(
    header: list[str], rows: list[list[str]], column: str, row_number: int, value: str
) -> list[list[str]]:
    """Copy of rows with one cell replaced (row_number 1 = first data record)."""
    index = header.index(column)
    return [
        [value if (number, position) == (row_number, index) else cell for position, cell in enumerate(row)]
        for number, row in enumerate(rows, start=1)
    ]


def rule_files(header: list[str], rows: list[list[str]]) -> dict[str, tuple[RawFile, str, list[int]]]:
    """One copy of the doc example per rule that breaks only that rule: file, column, bad row numbers."""
    month = "2025-03"

    def file(name: str, file_header: list[str], file_rows: list[list[str]]) -> RawFile:
        return RawFile("rules", f"{month}/{name}.csv", month, file_header, file_rows)

    without_service_name = [name for name in header if name != "ServiceName"]
    service_name_index = header.index("ServiceName")
    with_tags = [*header, "Tags"]
    tags = ['{"env": "prod"}', '["prod"]', ""]
    return {
        "required_column": (
            file(
                "required_column",
                without_service_name,
                [
                    [cell for position, cell in enumerate(row) if position != service_name_index]
                    for row in rows
                ],
            ),
            "ServiceName",
            [],
        ),
        "not_null": (file("not_null", header, changed(header, rows, "BilledCost", 2, "")), "BilledCost", [2]),
        "decimal_format": (
            file("decimal_format", header, changed(header, rows, "EffectiveCost", 2, "$0.50")),
            "EffectiveCost",
            [2],
        ),
        "datetime_format": (
            file(
                "datetime_format",
                header,
                changed(header, rows, "ChargePeriodEnd", 1, "2025-03-02T00:00:00+02:00"),
            ),
            "ChargePeriodEnd",
            [1],
        ),
        "json_format": (
            file("json_format", with_tags, [[*row, tag] for row, tag in zip(rows, tags, strict=True)]),
            "Tags",
            [2],
        ),
        "allowed_value": (
            file("allowed_value", header, changed(header, rows, "ChargeCategory", 3, "Refund")),
            "ChargeCategory",
            [3],
        ),
        "currency_code": (
            file(
                "currency_code",
                header,
                changed(
                    header, changed(header, rows, "BillingCurrency", 1, "DOLLAR"), "BillingCurrency", 3, "$"
                ),
            ),
            "BillingCurrency",
            [1, 3],
        ),
        "folder_month": (
            file(
                "folder_month",
                header,
                changed(header, rows, "ChargePeriodStart", 2, "2025-02-28T00:00:00Z"),
            ),
            "ChargePeriodStart",
            [2],
        ),
        "period_order": (
            file("period_order", header, changed(header, rows, "ChargePeriodEnd", 1, "2025-03-01T00:00:00Z")),
            "ChargePeriodEnd",
            [1],
        ),
        "readable_file": (
            RawFile("rules", f"{month}/readable_file.csv", month, [], [], content=b"BilledCost,ListCost\n1,2\n3\n"),
            None,
            [3],
        ),
    }


def correction_file(header: list[str], rows: list[list[str]]) -> RawFile:
    """A correction to February delivered in the March folder: accepted despite its charge period."""
    corrected = changed(header, rows, "ChargePeriodStart", 1, "2025-02-10T00:00:00Z")
    corrected = changed(header, corrected, "ChargePeriodEnd", 1, "2025-02-11T00:00:00Z")
    classes = ["Correction", "", ""]
    return RawFile(
        "rules",
        "2025-03/correction.csv",
        "2025-03",
        [*header, "ChargeClass"],
        [[*row, charge_class] for row, charge_class in zip(corrected, classes, strict=True)],
    )


@dataclass
class Warehouse:
    database: Path
    work_dir: Path
    build: dbtRunnerResult
    rule_files: dict[str, tuple[RawFile, str, list[int]]]

    def query(self, sql: str, *parameters: object) -> list[tuple]:
        with duckdb.connect(str(self.database)) as connection:
            return connection.execute(sql, list(parameters)).fetchall()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    work_dir = tmp_path_factory.mktemp("dbt")
    database = work_dir / "focus.duckdb"
    doc_header, doc_rows = read_sample("doc_example.csv")
    sample_header, sample_rows = read_sample("focus_sample_1000.csv")
    broken = rule_files(doc_header, doc_rows)
    euro_rows = [row[:] for row in doc_rows]
    for row in euro_rows:
        row[doc_header.index("BillingCurrency")] = "EUR"
    files = [
        RawFile("docs", "2025-03/doc_example.csv", "2025-03", doc_header, doc_rows),
        RawFile("docs", "2025-03/doc_example_eur.csv", "2025-03", doc_header, euro_rows),
        RawFile("sample", "2024-09/focus_sample_1000.csv", "2024-09", sample_header, sample_rows),
        RawFile("rules", "2025-03/good.csv", "2025-03", doc_header, doc_rows),
        correction_file(doc_header, doc_rows),
        RawFile("strict", "2025-03/doc_example.csv", "2025-03", doc_header, doc_rows),
        *(file for file, _, _ in broken.values()),
    ]
    load_with_the_loader(
        work_dir / "sources", database, {"docs": "any", "sample": "any", "rules": "any", "strict": "focus-1.0"}, files
    )
    build = run_dbt(database, work_dir, "build", "--exclude-resource-type", "unit_test")
    yield Warehouse(database, work_dir, build, broken)


# --- tests -------------------------------------------------------------------------------------------


def test_build_succeeds_and_warns_about_rejected_files(warehouse: Warehouse) -> None:
    assert warehouse.build.success, warehouse.build.exception
    statuses = {result.node.name: str(result.status) for result in warehouse.build.result}
    assert statuses["no_rejected_files_file_validation_"] == "warn"
    assert "error" not in statuses.values() and "fail" not in statuses.values()


def test_rejected_files_fail_the_build_when_gated(warehouse: Warehouse) -> None:
    result = run_dbt(
        warehouse.database,
        warehouse.work_dir,
        "test",
        "--select",
        "file_validation",
        "--vars",
        "{fail_on_rejected_files: true}",
    )
    assert not result.success
    failing = [result.node.name for result in result.result if str(result.status) == "fail"]
    assert failing == ["no_rejected_files_file_validation_"]


def test_doc_example_is_accepted_with_canonical_values(warehouse: Warehouse) -> None:
    assert warehouse.query(
        """select status, row_count, error_count, warning_count from marts.file_validation
        where data_source_id = 'docs' and key = '2025-03/doc_example.csv'"""
    ) == [("accepted", 3, 0, 3)]
    rows = warehouse.query(
        """select ProviderName, ServiceProviderName, ChargeFrequency, ServiceCategory, BilledCost, ListCost,
            ChargePeriodStart, x_BillingMonth, x_SubAccountDataSourceId
        from marts.focus_charges where x_SourceFile = '2025-03/doc_example.csv' order by BilledCost desc"""
    )
    assert [row[:4] for row in rows] == [
        ("Equinix", "Equinix", "Recurring", "Networking"),
        ("Internal", "Internal", "Usage-Based", "Compute"),
        ("Vendor", "Vendor", "One-Time", "Other"),
    ]
    assert [row[4] for row in rows] == [Decimal("150"), Decimal("0.5"), Decimal("-25")]
    assert [row[5] for row in rows] == [Decimal("180"), None, None]
    assert {(row[6], row[7], row[8]) for row in rows} == {(datetime(2025, 3, 1, tzinfo=UTC), "2025-03", None)}


def test_focus_sample_is_accepted_exactly(warehouse: Warehouse) -> None:
    header, rows = read_sample("focus_sample_1000.csv")
    assert warehouse.query(
        "select status, row_count, error_count from marts.file_validation where data_source_id = 'sample'"
    ) == [("accepted", 1000, 0)]
    expected_totals = [
        sum(
            (
                Decimal(row[header.index(column)])
                for row in rows
                if row[header.index(column)] not in ("", "NULL")
            ),
            Decimal(0),
        )
        for column in ("BilledCost", "ConsumedQuantity")
    ]
    assert warehouse.query(
        """select count(*), count(distinct SubAccountId), sum(BilledCost), sum(ConsumedQuantity)
        from marts.focus_charges where x_DataSourceId = 'sample'"""
    ) == [(1000, 73, *expected_totals)]


def test_sub_accounts_become_child_data_sources(warehouse: Warehouse) -> None:
    assert warehouse.query(
        """select count(*), count(name), min(first_billing_month), max(last_billing_month)
        from marts.data_sources where parent_id = 'sample'"""
    ) == [(73, 73, "2024-09", "2024-09")]
    assert warehouse.query(
        "select data_source_id, name, sub_account_id from marts.data_sources where data_source_id = ?",
        "sample/51738928782",
    ) == [("sample/51738928782", "Atlas Nimbus", "51738928782")]
    assert warehouse.query(
        """select count(distinct x_DataSourceId), sum(x_ChargeCount) from marts.costs_monthly
        where x_DataSourceId like 'sample/%'"""
    ) == [(73, 1000)]


@pytest.mark.parametrize(
    "rule",
    [
        "required_column",
        "not_null",
        "decimal_format",
        "datetime_format",
        "json_format",
        "allowed_value",
        "currency_code",
        "folder_month",
        "period_order",
        "readable_file",
    ],
)
def test_file_breaking_one_rule_is_rejected_with_that_rule(warehouse: Warehouse, rule: str) -> None:
    file, column, row_numbers = warehouse.rule_files[rule]
    ((status, first_error),) = warehouse.query(
        "select status, first_error from marts.file_validation where data_source_id = 'rules' and key = ?",
        file.key,
    )
    assert status == "rejected"
    assert first_error
    errors = warehouse.query(
        """select rule, column_name, error_count, sample_1_row_number, sample_2_row_number
        from marts.validation_errors
        where data_source_id = 'rules' and key = ? and severity = 'error'""",
        file.key,
    )
    samples = [number for number in errors[0][3:] if number is not None] if errors else []
    assert [error[:2] for error in errors] == [(rule, column)]
    assert samples == row_numbers
    assert warehouse.query("select count(*) from marts.focus_charges where x_SourceFile = ?", file.key) == [
        (0,)
    ]


def test_first_error_says_what_to_fix(warehouse: Warehouse) -> None:
    file, _, _ = warehouse.rule_files["folder_month"]
    assert warehouse.query("select first_error from marts.file_validation where key = ?", file.key) == [
        (
            "ChargePeriodStart is outside the folder month 2025-03 in 1 row(s) that are not corrections of "
            "that billing period, first at row 2: '2025-02-28T00:00:00Z'",
        )
    ]


def test_unreadable_file_is_reported_with_its_reason(warehouse: Warehouse) -> None:
    file, _, _ = warehouse.rule_files["readable_file"]
    assert warehouse.query("select first_error from marts.file_validation where key = ?", file.key) == [
        ("the file could not be read: a record has 1 fields where the header has 2 (ragged row) (line 3)",)
    ]
    assert warehouse.query("select sample_1_value from marts.validation_errors where key = ?", file.key) == [
        ("a record has 1 fields where the header has 2 (ragged row)",)
    ]


def test_good_files_beside_broken_ones_are_accepted(warehouse: Warehouse) -> None:
    assert warehouse.query(
        """select key, status, error_count from marts.file_validation
        where data_source_id = 'rules' and status = 'accepted' order by key"""
    ) == [("2025-03/correction.csv", "accepted", 0), ("2025-03/good.csv", "accepted", 0)]
    assert warehouse.query(
        "select ChargeClass, ChargePeriodStart from marts.focus_charges where ChargeClass is not null"
    ) == [("Correction", datetime(2025, 2, 10, tzinfo=UTC))]


def test_strict_profile_rejects_what_any_accepts(warehouse: Warehouse) -> None:
    assert warehouse.query("select status from marts.file_validation where data_source_id = 'strict'") == [
        ("rejected",)
    ]
    errors = warehouse.query(
        """select rule, column_name, sample_1_value from marts.validation_errors
        where data_source_id = 'strict' and severity = 'error' order by rule, column_name"""
    )
    assert ("allowed_value", "ChargeFrequency", "Usage-based") in errors
    assert ("allowed_value", "ServiceCategory", "Others") in errors
    # FOCUS 1.0 knows the column only as ProviderName; the `Provider` header is not read for it.
    assert ("required_column", "ProviderName", None) in errors
    # ListCost may be null in `any`, never in FOCUS 1.0.
    assert ("not_null", "ListCost", "") in errors
    # Strict profiles read no alias: the `Provider` header is a column FOCUS does not define.
    assert ("unknown_column", "Provider", " (it resembles the FOCUS column ProviderName)") in errors
    assert {rule for rule, _, _ in errors} == {"allowed_value", "not_null", "required_column", "unknown_column"}


def test_costs_monthly_totals_equal_focus_charges_per_currency(warehouse: Warehouse) -> None:
    sums = "sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost)"
    monthly = warehouse.query(
        f"select BillingCurrency, {sums}, sum(x_ChargeCount) from marts.costs_monthly group by 1 order by 1"
    )
    charges = warehouse.query(
        f"select BillingCurrency, {sums}, count(*) from marts.focus_charges group by 1 order by 1"
    )
    assert [row[0] for row in monthly] == ["EUR", "USD"]
    assert monthly == charges


def test_focus_use_case_sql_runs_as_written(warehouse: Warehouse) -> None:
    rows = warehouse.query("select ServiceName, sum(BilledCost) from marts.focus_charges group by 1")
    # Four accepted copies of the doc example: docs (USD and EUR), rules/good.csv, rules/correction.csv.
    assert ("Colocation", Decimal("600")) in rows


def test_dbt_unit_tests_pass(warehouse: Warehouse) -> None:
    result = run_dbt(warehouse.database, warehouse.work_dir, "test", "--select", "test_type:unit")
    assert result.success
    assert len(result.result) >= 16


@pytest.mark.parametrize("memory_limit", [None, "300MB"])
def test_dbt_runs_under_the_memory_limit_it_is_given(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, memory_limit: str | None
) -> None:
    """profiles.yml reads the limit `focus-ingest run --memory-limit` passes, and defaults to the loader's."""
    if memory_limit is None:
        monkeypatch.delenv(MEMORY_LIMIT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(MEMORY_LIMIT_VARIABLE, memory_limit)
    result = run_dbt(
        warehouse.database, warehouse.work_dir, "show", "--inline", "select current_setting('memory_limit') as m"
    )
    assert result.success, result.exception
    with duckdb.connect(config={"memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT}) as connection:
        expected = connection.execute("select current_setting('memory_limit')").fetchone()[0]
    assert result.result.results[0].agate_table.rows[0][0] == expected
