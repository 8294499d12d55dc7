"""Files of every FOCUS version 1.0-1.4, written from the spec's column reference, through the real
loader and dbt models (`focus-ingest validate`): a valid file of each version is accepted by `any` and
by its own strict profile, and a file with one defect is rejected (or warned about) for that defect only.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from loader_helpers import query, run_cli

from focus_ingest.cli import main
from focus_ingest.validate import FileVerdict, validate_files

pytestmark = pytest.mark.slow  # runs validate and dbt: `make test-fast` leaves it out

SPEC_DIR = Path(__file__).resolve().parents[2] / "reference" / "focus-spec"
VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")
MONTH = "2025-03"

DATETIMES = {
    "BillingPeriodStart": "2025-03-01T00:00:00Z",
    "BillingPeriodEnd": "2025-04-01T00:00:00Z",
    "ChargePeriodStart": "2025-03-01T00:00:00Z",
    "ChargePeriodEnd": "2025-03-02T00:00:00Z",
}
VALUES = {
    "BillingCurrency": "USD",
    "PricingCurrency": "USD",
    "ChargeCategory": "Usage",
    "ChargeFrequency": "Usage-Based",
    "ChargeClass": "",
    "ServiceCategory": "Compute",
    "ServiceSubcategory": "Virtual Machines",
    "PricingCategory": "Standard",
}


def spec_columns(version: str) -> list[dict[str, str]]:
    with (SPEC_DIR / "columns.csv").open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["focus_version"] == version]


# Profile `any` also requires these two, which FOCUS makes Recommended and Conditional.
ANY_REQUIRED = ("ChargeFrequency", "ResourceId")


def mandatory_columns(version: str) -> list[dict[str, str]]:
    return [
        row for row in spec_columns(version) if row["feature_level"] == "Mandatory" or row["column_id"] in ANY_REQUIRED
    ]


def valid_value(column: dict[str, str]) -> str:
    column_id = column["column_id"]
    if column_id in VALUES:
        return VALUES[column_id]
    if column["data_type"] == "Date/Time":
        return DATETIMES.get(column_id, "2025-03-01T00:00:00Z")
    if column["data_type"] == "Decimal":
        return "12.5"
    if column["data_type"] == "JSON":
        return '{"team": "web"}'
    if column["allowed_values"]:
        return column["allowed_values"].split("|")[0]
    return f"{column_id.lower()}-1"


def focus_csv(columns: list[str], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def version_file(version: str, changes: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> str:
    """Two rows with every Mandatory column of `version` (plus a custom x_ column), valid by the spec."""
    columns = [column for column in mandatory_columns(version) if column["column_id"] not in drop]
    row = {column["column_id"]: valid_value(column) for column in columns} | {"x_Team": "web"}
    rows = [row, row | {"BilledCost": "0.000000008940000000000001"}]
    header = [column["column_id"] for column in columns] + ["x_Team"]
    if changes:
        header += [name for name in changes if name not in header]
        rows = [row | changes for row in rows]
    return focus_csv(header, rows)


def validated(tmp_path: Path, files: dict[str, str], profile: str = "any") -> dict[str, FileVerdict]:
    folder = tmp_path / MONTH
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
        paths.append(folder / name)
    return {Path(verdict.path).name: verdict for verdict in validate_files(paths, None, profile)}


def issues(verdict: FileVerdict, severity: str) -> set[tuple[str, str | None]]:
    return {(issue.rule, issue.column) for issue in verdict.issues if issue.severity == severity}


@pytest.fixture(scope="module")
def verdicts_any(tmp_path_factory: pytest.TempPathFactory) -> dict[str, FileVerdict]:
    files = {f"valid-{version}.csv": version_file(version) for version in VERSIONS}
    files |= {
        # 1.4 carries no ProviderName: ServiceProviderName meets the provider requirement.
        "no-provider.csv": version_file("1.3", drop=("ProviderName", "ServiceProviderName")),
        "virtual-currency.csv": version_file("1.3", {"PricingCurrency": "Token"}),
        "null-literal.csv": version_file("1.2", {"ListUnitPrice": "null", "ChargeDescription": "Null"}),
        "misspelt-column.csv": version_file("1.2", {"SkuPriceid": "price-1", "Id": "7"}),
        "bad-billing-currency.csv": version_file("1.4", {"BillingCurrency": "Token"}),
        "invoice-detail.csv": version_file("1.4", {"InvoiceDetailId": "inv-1"}),
    }
    return validated(tmp_path_factory.mktemp("any"), files)


@pytest.mark.parametrize("version", VERSIONS)
def test_valid_file_of_each_version_is_accepted_by_any(verdicts_any: dict[str, FileVerdict], version: str) -> None:
    verdict = verdicts_any[f"valid-{version}.csv"]
    assert verdict.status == "accepted", verdict.first_error
    assert issues(verdict, "error") == set()


def test_a_file_without_any_provider_column_names_all_three(verdicts_any: dict[str, FileVerdict]) -> None:
    verdict = verdicts_any["no-provider.csv"]
    assert verdict.status == "rejected"
    assert issues(verdict, "error") == {("required_column", "ServiceProviderName")}
    assert verdict.first_error is not None
    for name in ("ServiceProviderName", "ProviderName", "Provider"):
        assert name in verdict.first_error


def test_pricing_currency_may_be_virtual_billing_currency_may_not(verdicts_any: dict[str, FileVerdict]) -> None:
    assert verdicts_any["virtual-currency.csv"].status == "accepted"
    bad = verdicts_any["bad-billing-currency.csv"]
    assert issues(bad, "error") == {("currency_code", "BillingCurrency")}


@pytest.mark.parametrize("version", VERSIONS)
def test_valid_file_is_accepted_by_its_strict_profile(tmp_path: Path, version: str) -> None:
    verdict = validated(tmp_path, {"valid.csv": version_file(version)}, f"focus-{version}")["valid.csv"]
    assert verdict.status == "accepted", verdict.first_error


def test_more_than_18_decimals_is_valid_and_rounded_with_a_warning(verdicts_any: dict[str, FileVerdict]) -> None:
    verdict = verdicts_any["valid-1.2.csv"]
    rounded = [issue for issue in verdict.issues if issue.rule == "rounded_number"]
    assert [(issue.severity, issue.column, issue.count) for issue in rounded] == [("warning", "BilledCost", 1)]
    assert rounded[0].samples == [(2, "0.000000008940000000000001")]


def test_null_spellings_are_null_with_a_warning_in_any(verdicts_any: dict[str, FileVerdict]) -> None:
    verdict = verdicts_any["null-literal.csv"]
    assert verdict.status == "accepted", verdict.first_error
    assert ("lenient_null", "ListUnitPrice") in issues(verdict, "warning")
    assert ("lenient_null", "ChargeDescription") in issues(verdict, "warning")


def test_unknown_columns_are_warnings_in_any_naming_the_column_they_resemble(
    verdicts_any: dict[str, FileVerdict],
) -> None:
    verdict = verdicts_any["misspelt-column.csv"]
    assert verdict.status == "accepted"
    unknown = {issue.column: issue.samples for issue in verdict.issues if issue.rule == "unknown_column"}
    assert set(unknown) == {"SkuPriceid", "Id"}
    assert "SkuPriceId" in str(unknown["SkuPriceid"])
    assert {issue.severity for issue in verdict.issues if issue.rule == "unknown_column"} == {"warning"}


def test_strict_profiles_reject_unknown_columns_and_null_spellings(tmp_path: Path) -> None:
    files = {
        "misspelt.csv": version_file("1.3", {"ResourceID": "r-1"}, drop=("ResourceId",)),
        "null.csv": version_file("1.3", {"ListUnitPrice": "null"}),
    }
    verdicts = validated(tmp_path, files, "focus-1.3")
    assert issues(verdicts["misspelt.csv"], "error") == {("unknown_column", "ResourceID")}
    assert "ResourceId" in (verdicts["misspelt.csv"].first_error or "")
    assert issues(verdicts["null.csv"], "error") == {("decimal_format", "ListUnitPrice")}


@pytest.mark.parametrize(
    ("name", "versions"),
    [
        # 1.0's Mandatory columns are in every later version; ProviderName ends with 1.3.
        ("valid-1.0.csv", ["1.3", "1.2", "1.1", "1.0"]),
        # 1.2's Mandatory columns are all older: only a 1.2 column (PricingCurrency) narrows it.
        ("valid-1.2.csv", ["1.3", "1.2", "1.1", "1.0"]),
        ("null-literal.csv", ["1.3", "1.2", "1.1", "1.0"]),
        ("bad-billing-currency.csv", ["1.4", "1.3"]),
        # 1.3 carries ProviderName and ServiceProviderName; only 1.3 defines both.
        ("valid-1.3.csv", ["1.3"]),
        # 1.4 only drops ProviderName; its new columns tell it from 1.3.
        ("valid-1.4.csv", ["1.4", "1.3"]),
        ("invoice-detail.csv", ["1.4"]),
    ],
)
def test_each_file_shows_the_versions_its_header_is_consistent_with(
    verdicts_any: dict[str, FileVerdict], name: str, versions: list[str]
) -> None:
    assert verdicts_any[name].focus_versions == versions


def test_validate_text_json_and_junit_carry_the_version_and_the_counts_of_file_validation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / MONTH
    folder.mkdir()
    path = folder / "costs.csv"
    path.write_text(version_file("1.4", {"ChargeFrequency": "usage-based", "InvoiceDetailId": "i"}), encoding="utf-8")
    status, text, _ = run_cli(capsys, "validate", str(path))
    assert status == 0
    # Two rows with a lenient spelling and one rounded number: three warnings, as file_validation counts.
    assert "FOCUS 1.4," in text and "0 error(s) in 0 rule(s), 3 warning(s)" in text
    assert "usage-based -> Usage-Based" in text
    status, output, _ = run_cli(capsys, "validate", str(path), "--format", "json")
    entry = json.loads(output)["files"][0]
    assert (entry["focus_versions"], entry["errors"], entry["warnings"]) == (["1.4"], 0, 3)
    status, xml, _ = run_cli(capsys, "validate", str(path), "--format", "junit")
    case = ElementTree.fromstring(xml).find("testsuite/testcase")
    assert case.find("properties/property[@name='focus_versions']").get("value") == "1.4"


def test_many_missing_columns_print_the_fix_once_and_allowed_values_are_listed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / MONTH
    folder.mkdir()
    path = folder / "costs.csv"
    columns = ("BillingAccountName", "ChargeDescription", "ContractedCost", "InvoiceIssuerName")
    path.write_text(version_file("1.2", {"ChargeCategory": "Usage-ish"}, drop=columns), encoding="utf-8")
    status, text, _ = run_cli(capsys, "validate", str(path), "--profile", "focus-1.2")
    assert status == 1
    assert text.count("error required_column") == 4
    assert text.count("how to fix: Add the column to the header") == 1
    assert "Allowed in focus-1.2: Adjustment, Credit, Purchase, Tax, Usage." in text


def commitment_file(changes: dict[str, str] | None = None) -> str:
    """A FOCUS 1.3 ContractCommitment file: the 13 columns of the shared reference, two commitments."""
    with (SPEC_DIR / "contract_commitment_columns.csv").open(newline="", encoding="utf-8") as handle:
        columns = list(csv.DictReader(handle))
    values = {
        "ContractPeriodStart": "2025-01-01T00:00:00Z", "ContractPeriodEnd": "2026-01-01T00:00:00Z",
        "ContractCommitmentPeriodStart": "2025-03-01T00:00:00Z",
        "ContractCommitmentPeriodEnd": "2025-04-01T00:00:00Z",
    }  # fmt: skip
    row = {column["column_id"]: values.get(column["column_id"]) or valid_value(column) for column in columns}
    second = {"ContractCommitmentId": "cc-2", "ContractCommitmentCost": "0.5"}
    rows = [row | {"ContractCommitmentId": "cc-1"}, row | second]
    return focus_csv([column["column_id"] for column in columns], [r | (changes or {}) for r in rows])


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`focus-ingest run` over a month with a file of each version, ContractCommitment files (one with a
    defect) and a file of no FOCUS dataset."""
    root = tmp_path_factory.mktemp("cycle")
    folder = root / "bucket" / MONTH
    folder.mkdir(parents=True)
    for version in VERSIONS:
        tags = {"Tags": '{"team": "web"}'} if version == "1.3" else None
        (folder / f"valid-{version}.csv").write_text(version_file(version, tags), encoding="utf-8")
    (folder / "commitments.csv").write_text(commitment_file(), encoding="utf-8")
    bad = commitment_file({"ContractCommitmentCategory": "Spendy"})
    (folder / "bad-commitments.csv").write_text(bad, encoding="utf-8")
    (folder / "not-focus.csv").write_text("Id,Amount,When\n1,5,2025-03-01\n", encoding="utf-8")
    database = root / "focus.duckdb"
    arguments = ["run", "--source", str(root / "bucket"), "--database", str(database), "--as-of", "2025-03-15"]
    assert main([*arguments, "--quiet"]) == 0
    return database


def test_contract_commitment_file_is_recognised_validated_and_loaded(cycle: Path) -> None:
    verdicts = query(
        cycle,
        "select key, status, dataset, focus_versions, error_count, first_error from marts.file_validation"
        " where key like '%commitments.csv' order by key",
    )
    assert verdicts == [
        (f"{MONTH}/bad-commitments.csv", "rejected", "ContractCommitment", "1.4, 1.3", 2,
         "ContractCommitmentCategory has a value outside the allowed values in 2 row(s), first at row 1: 'Spendy'"),
        (f"{MONTH}/commitments.csv", "accepted", "ContractCommitment", "1.4, 1.3", 0, None),
    ]  # fmt: skip
    rows = query(
        cycle,
        "select ContractCommitmentId, ContractCommitmentCategory, ContractCommitmentCost, ContractPeriodStart,"
        " typeof(ContractCommitmentCost), x_SourceFile from marts.contract_commitments order by 1",
    )
    assert [row[:3] for row in rows] == [("cc-1", "Spend", Decimal("12.5")), ("cc-2", "Spend", Decimal("0.5"))]
    assert rows[0][4] == "DECIMAL(38,18)" and rows[0][5] == f"{MONTH}/commitments.csv"
    assert rows[0][3].year == 2025
    # ContractCommitment rows are no charges.
    assert query(cycle, "select count(*) from marts.focus_charges where x_SourceFile like '%commitments.csv'") == [(0,)]


def test_a_file_of_no_dataset_is_rejected_with_one_message(cycle: Path) -> None:
    errors = query(
        cycle,
        "select rule, severity from marts.validation_errors where key = ? order by rule",
        [f"{MONTH}/not-focus.csv"],
    )
    assert errors == [("unknown_dataset", "error")]
    verdict = query(cycle, "select first_error from marts.file_validation where key = ?", [f"{MONTH}/not-focus.csv"])
    assert "no column of a FOCUS dataset" in verdict[0][0]


def test_files_of_every_version_reach_focus_charges(cycle: Path) -> None:
    rows = query(
        cycle,
        "select x_SourceFile, count(*), sum(BilledCost) from marts.focus_charges"
        " where x_SourceFile like '%valid-%' group by 1 order by 1",
    )
    # 12.5 + 0.000000008940000000000001 rounded to 18 decimals.
    assert rows == [(f"{MONTH}/valid-{version}.csv", 2, Decimal("12.500000008940000000")) for version in VERSIONS]


def test_focus_charges_is_one_schema_with_provider_columns_filled_and_engine_types(cycle: Path) -> None:
    providers = query(
        cycle,
        "select x_SourceFile, any_value(ProviderName), any_value(ServiceProviderName), any_value(PublisherName)"
        " from marts.focus_charges where x_SourceFile like '%valid-%' group by 1 order by 1",
    )
    assert providers == [
        # 1.0-1.2 name the provider ProviderName, 1.3 both, 1.4 ServiceProviderName only.
        (f"{MONTH}/valid-1.0.csv", "providername-1", "providername-1", "publishername-1"),
        (f"{MONTH}/valid-1.1.csv", "providername-1", "providername-1", "publishername-1"),
        (f"{MONTH}/valid-1.2.csv", "providername-1", "providername-1", "publishername-1"),
        (f"{MONTH}/valid-1.3.csv", "providername-1", "serviceprovidername-1", "publishername-1"),
        (f"{MONTH}/valid-1.4.csv", "serviceprovidername-1", "serviceprovidername-1", "serviceprovidername-1"),
    ]
    types = dict(query(cycle, "select column_name, data_type from information_schema.columns"
                              " where table_schema = 'marts' and table_name = 'focus_charges'"))  # fmt: skip
    assert types["ChargePeriodStart"] == "TIMESTAMP WITH TIME ZONE"
    assert types["Tags"] == "JSON" and types["BilledCost"] == "DECIMAL(38,18)"
    assert "InvoiceDetailId" in types and "CommitmentProgramEligibilityDetails" in types and "ProviderName" in types
    starts = query(cycle, "select distinct ChargePeriodStart from marts.focus_charges")
    assert starts == [(datetime(2025, 3, 1, tzinfo=UTC),)]
    assert query(cycle, "select distinct Tags->>'team' from marts.focus_charges where Tags is not null") == [("web",)]



# One file per conditional rule, each breaking only it (FOCUS 1.3 columns; columns.csv notes).
CONDITIONAL_DEFECTS = {
    "commitment_discount_nulls": (
        "CommitmentDiscountStatus",
        {"CommitmentDiscountId": "", "CommitmentDiscountCategory": "", "CommitmentDiscountStatus": "Used"},
    ),
    "capacity_reservation_nulls": (
        "CapacityReservationStatus",
        {"CapacityReservationId": "cr-1", "CapacityReservationStatus": ""},
    ),
    "tax_pricing_nulls": (
        "PricingQuantity",
        {"ChargeCategory": "Tax", "ChargeFrequency": "One-Time", "PricingUnit": ""},
    ),
    "key_value_format": ("Tags", {"Tags": '{"team": {"name": "web"}}'}),
    "service_subcategory_parent": ("ServiceSubcategory", {"ServiceSubcategory": "Relational Databases"}),
}
# The same columns, filled as the conditions require: accepted in every profile.
CONDITIONAL_VALID = {
    "CommitmentDiscountId": "cd-1", "CommitmentDiscountCategory": "Spend", "CommitmentDiscountStatus": "Used",
    "CapacityReservationId": "", "CapacityReservationStatus": "",
    "Tags": '{"team": "web", "billable": true}', "ServiceSubcategory": "Virtual Machines",
}  # fmt: skip


def conditional_file(changes: dict[str, str]) -> str:
    return version_file("1.3", CONDITIONAL_VALID | changes)


@pytest.fixture(scope="module")
def conditional_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, FileVerdict]]:
    files = {f"{rule}.csv": conditional_file(changes) for rule, (_, changes) in CONDITIONAL_DEFECTS.items()}
    files["valid.csv"] = conditional_file({})
    return {
        profile: validated(tmp_path_factory.mktemp(profile), files, profile) for profile in ("any", "focus-1.3")
    }


@pytest.mark.parametrize("rule", list(CONDITIONAL_DEFECTS))
def test_each_conditional_rule_is_an_error_in_strict_and_a_warning_in_any(
    conditional_verdicts: dict[str, dict[str, FileVerdict]], rule: str
) -> None:
    column = CONDITIONAL_DEFECTS[rule][0]
    strict = conditional_verdicts["focus-1.3"][f"{rule}.csv"]
    assert strict.status == "rejected"
    assert issues(strict, "error") == {(rule, column)}
    assert all(issue.how_to_fix for issue in strict.issues)
    lenient = conditional_verdicts["any"][f"{rule}.csv"]
    assert lenient.status == "accepted", lenient.first_error
    assert (rule, column) in issues(lenient, "warning")


def test_a_file_meeting_the_conditions_is_accepted_by_both(
    conditional_verdicts: dict[str, dict[str, FileVerdict]],
) -> None:
    for profile in ("any", "focus-1.3"):
        verdict = conditional_verdicts[profile]["valid.csv"]
        assert verdict.status == "accepted", verdict.first_error
        assert not {rule for rule, _ in issues(verdict, "warning")} & set(CONDITIONAL_DEFECTS)
