"""The committed seeds are what scripts/generate_seeds.py makes of reference/focus-spec."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT / "seeds"
GENERATED_SEEDS = [
    "focus_columns.csv",
    "validation_profiles.csv",
    "focus_profile_columns.csv",
    "focus_allowed_values.csv",
    "focus_column_aliases.csv",
    "focus_column_fills.csv",
    "service_subcategory_parents.csv",
    "iso4217_currencies.csv",
]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_seeds", REPO_ROOT / "scripts" / "generate_seeds.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    generator = load_generator()
    seeds_dir = tmp_path_factory.mktemp("seeds")
    generator.generate(generator.DEFAULT_SPEC_DIR, seeds_dir, seeds_dir)
    return seeds_dir


@pytest.mark.parametrize("name", GENERATED_SEEDS)
def test_committed_seed_matches_generator(generated: Path, name: str) -> None:
    assert (SEEDS_DIR / name).read_text(encoding="utf-8") == (generated / name).read_text(encoding="utf-8")


def test_committed_reference_macro_matches_generator(generated: Path) -> None:
    """The macro the models read their column and rule lists from carries the committed seeds and catalogue."""
    committed = REPO_ROOT / "macros" / "focus_reference.sql"
    assert committed.read_text(encoding="utf-8") == (generated / "focus_reference.sql").read_text(encoding="utf-8")


def test_profile_any_requires_the_fifteen_columns_of_the_issue(generated: Path) -> None:
    rows = [row for row in read_rows(generated / "focus_profile_columns.csv") if row["profile"] == "any"]
    required = {row["column_id"] for row in rows if row["is_required"] == "true"}
    not_null = {row["column_id"] for row in rows if row["is_nullable"] == "false"}
    assert len(rows) == 67
    assert required == {
        "BilledCost", "BillingAccountId", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
        "ChargeCategory", "ChargeFrequency", "ChargePeriodStart", "ChargePeriodEnd", "EffectiveCost",
        "ListCost", "ProviderName", "ResourceId", "ServiceCategory", "ServiceName", "ServiceProviderName",
    }  # fmt: skip
    assert not_null == required - {"ListCost", "ResourceId"}
    # One provider requirement, met by the 1.3+ column or the deprecated one.
    requirements = {row["column_id"]: row["requirement"] for row in rows if row["is_required"] == "true"}
    assert requirements["ProviderName"] == requirements["ServiceProviderName"] == "ServiceProviderName"
    assert requirements["BilledCost"] == "BilledCost"


def test_strict_profiles_follow_the_spec_tables(generated: Path) -> None:
    rows = {
        (row["profile"], row["column_id"]): row for row in read_rows(generated / "focus_profile_columns.csv")
    }
    # columns.csv 1.0: ChargeFrequency Recommended, not nullable; BillingAccountName Mandatory, nullable.
    assert rows[("focus-1.0", "ChargeFrequency")]["is_required"] == "false"
    assert rows[("focus-1.0", "ChargeFrequency")]["is_nullable"] == "false"
    assert rows[("focus-1.0", "BillingAccountName")]["is_required"] == "true"
    assert rows[("focus-1.0", "BillingAccountName")]["is_nullable"] == "true"
    assert ("focus-1.0", "ServiceSubcategory") not in rows
    # Only BillingCurrency must be ISO 4217; PricingCurrency may be a virtual currency (1.2+ Currency Format).
    assert rows[("focus-1.3", "BillingCurrency")]["is_currency_code"] == "true"
    assert rows[("focus-1.3", "PricingCurrency")]["is_currency_code"] == "false"
    assert rows[("any", "PricingCurrency")]["is_currency_code"] == "false"
    assert {profile for profile, _ in rows} == {
        "any", "focus-1.0", "focus-1.1", "focus-1.2", "focus-1.3", "focus-1.4",
        "any/ContractCommitment", "focus-1.3/ContractCommitment", "focus-1.4/ContractCommitment",
    }  # fmt: skip
    # The ContractCommitment dataset: its 13 columns, all Mandatory, as contract_commitment_columns.csv says.
    commitment = {column for profile, column in rows if profile == "focus-1.3/ContractCommitment"}
    assert len(commitment) == 13 and "ContractCommitmentId" in commitment
    assert rows[("focus-1.3/ContractCommitment", "ContractCommitmentCategory")]["is_enumerated"] == "true"
    assert rows[("focus-1.3/ContractCommitment", "BillingCurrency")]["is_nullable"] == "true"
    # FOCUS 1.4 removed ProviderName and added InvoiceDetailId and CommitmentProgramEligibilityDetails.
    assert ("focus-1.4", "ProviderName") not in rows
    assert rows[("focus-1.4", "ServiceProviderName")]["is_required"] == "true"
    assert ("focus-1.4", "InvoiceDetailId") in rows
    assert ("focus-1.4", "CommitmentProgramEligibilityDetails") in rows


def test_allowed_values_keep_the_canonical_spelling(generated: Path) -> None:
    rows = read_rows(generated / "focus_allowed_values.csv")
    lenient = {
        (row["column_id"], row["match_key"]): row["canonical_value"]
        for row in rows
        if row["profile"] == "any"
    }
    strict = {(row["column_id"], row["accepted_value"]) for row in rows if row["profile"] == "focus-1.0"}
    assert lenient[("ChargeFrequency", "usage-based")] == "Usage-Based"
    assert lenient[("ServiceCategory", "others")] == "Other"
    assert ("ChargeFrequency", "Usage-Based") in strict
    assert ("ServiceCategory", "Others") not in strict


def test_raw_column_keys_are_dlt_snake_case(generated: Path) -> None:
    keys = {row["column_id"]: row["column_key"] for row in read_rows(generated / "focus_columns.csv")}
    aliases = read_rows(generated / "focus_column_aliases.csv")
    assert keys["BilledCost"] == "billed_cost"
    assert keys["PricingCurrencyContractedUnitPrice"] == "pricing_currency_contracted_unit_price"
    assert [(row["alias_name"], row["alias_key"]) for row in aliases] == [("Provider", "provider")]
    assert len(read_rows(generated / "iso4217_currencies.csv")) == 178
