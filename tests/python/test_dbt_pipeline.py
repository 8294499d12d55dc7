"""End-to-end tests of the dbt project: raw layer in, validated marts out.

`write_raw_layer` below stands in for the loader and writes the raw tables exactly as
docs/raw-layer.md describes, so these tests pin the dbt side alone; the end-to-end run with the real
loader replaces it once both sides are merged.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult
from dlt.common.normalizers.naming.snake_case import NamingConvention

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES_DIR = REPO_ROOT.parent / "shared" / "focus-samples"
RUN_ID = "run-1"


# --- stand-in for the loader -------------------------------------------------------------------------


@dataclass
class RawFile:
    """One file version as the loader would have recorded it."""

    data_source: str
    key: str
    billing_month: str
    header: list[str]
    rows: list[list[str]]
    status: str = "loaded"
    error: str | None = None
    error_line: int | None = None

    @property
    def etag(self) -> str:
        content = json.dumps([self.header, self.rows]).encode()
        return f"{len(content)}-{hashlib.md5(content).hexdigest()[:12]}"


def read_sample(name: str) -> tuple[list[str], list[list[str]]]:
    with (SAMPLES_DIR / name).open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write_raw_layer(database: Path, profiles: dict[str, str], files: list[RawFile]) -> None:
    """Write raw.data_sources, raw.manifest, raw.file_columns and raw.focus_rows per docs/raw-layer.md."""
    naming = NamingConvention()
    keys = sorted({naming.normalize_identifier(name) for file in files for name in file.header})
    lineage = ["_ingest_data_source", "_ingest_key", "_ingest_etag", "_ingest_billing_month"]
    values: dict[str, list[str | None]] = {column: [] for column in [*lineage, "_ingest_run_id", *keys]}
    row_numbers: list[int] = []
    for file in files:
        if file.status != "loaded":
            continue
        file_keys = [naming.normalize_identifier(name) for name in file.header]
        for row_number, row in enumerate(file.rows, start=1):
            by_key = dict(zip(file_keys, row, strict=True))
            for column, value in zip(
                lineage, [file.data_source, file.key, file.etag, file.billing_month], strict=True
            ):
                values[column].append(value)
            values["_ingest_run_id"].append(RUN_ID)
            for key in keys:
                values[key].append(by_key.get(key))
            row_numbers.append(row_number)
    focus_rows = pa.table(
        {**values, "_ingest_row_number": pa.array(row_numbers, pa.int64())},
        schema=pa.schema([(column, pa.string()) for column in values] + [("_ingest_row_number", pa.int64())]),
    )
    manifest = [
        (
            file.data_source,
            file.key,
            file.etag,
            1000,
            file.billing_month,
            file.status,
            len(file.rows) if file.status == "loaded" else None,
            RUN_ID,
            file.error,
            file.error_line,
            json.dumps(file.header),
        )
        for file in files
    ]
    file_columns = [
        (file.data_source, file.key, file.etag, position, name, naming.normalize_identifier(name))
        for file in files
        if file.status == "loaded"
        for position, name in enumerate(file.header, start=1)
    ]
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema raw")
        connection.register("focus_rows_arrow", focus_rows)
        connection.execute("create table raw.focus_rows as select * from focus_rows_arrow")
        connection.execute(
            """create table raw.manifest (data_source varchar, key varchar, etag varchar, size bigint,
            last_modified timestamptz, billing_month varchar, status varchar, row_count bigint,
            run_id varchar, first_seen timestamptz, last_seen timestamptz, error varchar,
            error_line bigint, header varchar)"""
        )
        connection.executemany(
            """insert into raw.manifest values (?, ?, ?, ?, now(), ?, ?, ?, ?, now(), now(), ?, ?, ?)""",
            manifest,
        )
        connection.execute(
            """create table raw.file_columns (data_source varchar, key varchar, etag varchar,
            position bigint, column_name varchar, column_key varchar)"""
        )
        connection.executemany("insert into raw.file_columns values (?, ?, ?, ?, ?, ?)", file_columns)
        connection.execute(
            """create table raw.data_sources (data_source varchar, location varchar, profile varchar,
            last_run_id varchar, last_run_at timestamptz)"""
        )
        connection.executemany(
            "insert into raw.data_sources values (?, ?, ?, ?, now())",
            [(name, f"/data/{name}/", profile, RUN_ID) for name, profile in profiles.items()],
        )


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
            RawFile(
                "rules",
                f"{month}/readable_file.csv.gz",
                month,
                [],
                [],
                status="rejected",
                error="not a gzip file",
                error_line=1,
            ),
            None,
            [1],
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
    write_raw_layer(database, {"docs": "any", "sample": "any", "rules": "", "strict": "focus-1.0"}, files)
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
    assert {(row[6], row[7], row[8]) for row in rows} == {(datetime(2025, 3, 1), "2025-03", None)}


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
        ("the file could not be read: not a gzip file (line 1)",)
    ]
    assert warehouse.query("select sample_1_value from marts.validation_errors where key = ?", file.key) == [
        ("not a gzip file",)
    ]


def test_good_files_beside_broken_ones_are_accepted(warehouse: Warehouse) -> None:
    assert warehouse.query(
        """select key, status, error_count from marts.file_validation
        where data_source_id = 'rules' and status = 'accepted' order by key"""
    ) == [("2025-03/correction.csv", "accepted", 0), ("2025-03/good.csv", "accepted", 0)]
    assert warehouse.query(
        "select ChargeClass, ChargePeriodStart from marts.focus_charges where ChargeClass is not null"
    ) == [("Correction", datetime(2025, 2, 10))]


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
    assert {rule for rule, _, _ in errors} == {"allowed_value", "not_null", "required_column"}


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
