"""Regenerate the dbt reference seeds from the FOCUS column reference in reference/focus-spec.

The validation rules in dbt read every column fact (mandatory, nullable, data type, allowed values,
currency columns, raw column key) from these seeds, so SQL never hard-codes the specification. Run this
script whenever reference/focus-spec changes (copied from the FinOps Foundation, see reference/README.md)
and commit the CSVs it writes:

    python scripts/generate_seeds.py [SPEC_DIR] [--seeds-dir seeds] [--macros-dir macros]

`validation_rules.csv` is not generated: it is our rule catalogue, not part of the specification.
The script also writes macros/focus_reference.sql, the same seeds (and that catalogue) as a Jinja
macro: models that need one SQL expression per column or rule read their lists at compile time from
there, from files of the project, never by querying the live database.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dlt.common.normalizers.naming.snake_case import NamingConvention

log = logging.getLogger("generate_seeds")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC_DIR = REPO_ROOT / "reference" / "focus-spec"
DEFAULT_SEEDS_DIR = REPO_ROOT / "seeds"
DEFAULT_MACROS_DIR = REPO_ROOT / "macros"
RULES_CATALOGUE = REPO_ROOT / "seeds" / "validation_rules.csv"
REFERENCE_MACRO = "focus_reference.sql"
# The seeds (by file name) the reference macro carries, with the columns that hold booleans.
REFERENCE_SEEDS = {
    "focus_columns": (),
    "validation_profiles": ("is_lenient",),
    "focus_profile_columns": ("is_required", "is_nullable", "is_enumerated", "is_currency_code"),
    "focus_column_aliases": (),
    "focus_column_fills": (),
    "validation_rules": (),
}

# Versions with a strict profile; the 1.4 rows are derived, not read from its tag (SOURCES.md).
STRICT_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")
LENIENT_PROFILE = "any"

# Profile `any` is defined by issue 3, not by one FOCUS version.
ANY_REQUIRED_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargeFrequency",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "EffectiveCost",
    "ListCost",
    "ProviderName",
    "ResourceId",
    "ServiceCategory",
    "ServiceName",
)
ANY_NULLABLE_REQUIRED_COLUMNS = ("ListCost", "ResourceId")
# In `any` the provider requirement is met by the 1.3+ name or the deprecated one (or its alias below):
# FOCUS 1.3 deprecated ProviderName for ServiceProviderName and 1.4 removed it. Each such column
# meets the requirement named first.
ANY_REQUIREMENT_ALTERNATIVES = {"ProviderName": ("ServiceProviderName", "ProviderName")}
# FOCUS 1.0 calls ProviderName "Provider" in its display name; exports use that as the header.
ANY_ALIASED_COLUMN = "ProviderName"
ANY_ALIAS_SOURCE_VERSION = "1.0"
# `Others` is a common spelling of the FOCUS value `Other`.
ANY_VALUE_ALIASES = {"Others": "Other"}

# Datasets: Cost and Usage (columns.csv) and, from FOCUS 1.3, ContractCommitment
# (contract_commitment_columns.csv, 1.3 columns; its 1.4 expansion is not in the shared files, so the
# 1.4 profile checks the 1.3 columns). A file's dataset is told by its header (int_focus__loaded_files).
COST_AND_USAGE = "CostAndUsage"
CONTRACT_COMMITMENT = "ContractCommitment"
CONTRACT_COMMITMENT_VERSIONS = ("1.3", "1.4")
CONTRACT_COMMITMENT_SOURCE_VERSION = "1.3"


def dataset_profile(profile: str, dataset: str) -> str:
    """The validation profile of a dataset: the data source's profile, suffixed for datasets other than C&U."""
    return profile if dataset == COST_AND_USAGE else f"{profile}/{dataset}"


# Migration guidance in the column notes (columns.csv, version 1.3): "Replaced by X" makes the two
# columns equivalent (each fills the other in marts.focus_charges); "Use X instead" fills the deprecated
# column from its successor only (PublisherName named another entity before 1.3).
REPLACED_BY = re.compile(r"DEPRECATED in (\d\.\d)\s*;?\s*Replaced by (\w+)")
USE_INSTEAD = re.compile(r"DEPRECATED in (\d\.\d)\s*;\s*Use (\w+) instead")

# Only a column whose value must be a national currency is checked against ISO 4217: since 1.2,
# Currency Format allows virtual currencies (format_rules.csv, CurrencyFormat), and columns.csv marks
# the ISO-only columns (BillingCurrency) with "ISO 4217".
CURRENCY_FORMAT = re.compile(r"Value format: Currency( Code)? Format;[^;]*ISO 4217")


@dataclass(frozen=True)
class SpecColumn:
    """One row of columns.csv: a column as one FOCUS version defines it."""

    version: str
    column_id: str
    display_name: str
    column_type: str
    data_type: str
    feature_level: str
    allows_nulls: bool
    notes: str
    allowed_values: tuple[str, ...] = ()

    @property
    def is_currency_code(self) -> bool:
        return bool(CURRENCY_FORMAT.search(self.notes))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    """Write with `\\n` line ends and booleans as true/false so diffs stay stable across platforms."""

    def cell(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        return "" if value is None else str(value)

    materialised = [[cell(value) for value in row] for row in rows]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(materialised)
    log.info("wrote %s (%d rows)", path, len(materialised))


def spec_column(row: dict[str, str]) -> SpecColumn:
    """A row of columns.csv or contract_commitment_columns.csv (which also lists allowed values, `|`-separated)."""
    return SpecColumn(
        version=row["focus_version"],
        column_id=row["column_id"],
        display_name=row["display_name"],
        column_type=row["column_type"],
        data_type=row["data_type"],
        feature_level=row["feature_level"],
        allows_nulls=row["allows_nulls"] == "True",
        notes=row["notes"],
        allowed_values=tuple(value for value in row.get("allowed_values", "").split("|") if value),
    )


def load_columns(spec_dir: Path) -> list[SpecColumn]:
    columns = [
        spec_column(row) for row in read_csv(spec_dir / "columns.csv") if row["focus_version"] in STRICT_VERSIONS
    ]
    data_types: dict[str, set[str]] = {}
    for column in columns:
        data_types.setdefault(column.column_id, set()).add(column.data_type)
    conflicting = {column_id: types for column_id, types in data_types.items() if len(types) > 1}
    if conflicting:
        raise ValueError(
            f"columns change data type between versions, seeds assume they do not: {conflicting}"
        )
    return columns


def load_contract_commitment_columns(spec_dir: Path) -> list[SpecColumn]:
    return [spec_column(row) for row in read_csv(spec_dir / "contract_commitment_columns.csv")]


def load_allowed_values(spec_dir: Path) -> dict[tuple[str, str], list[str]]:
    allowed: dict[tuple[str, str], list[str]] = {}
    for row in read_csv(spec_dir / "enums.csv"):
        if row["focus_version"] in STRICT_VERSIONS:
            allowed.setdefault((row["focus_version"], row["column_id"]), []).append(row["allowed_value"])
    return allowed


def strict_profile(version: str) -> str:
    return f"focus-{version}"


def latest_by_column(columns: list[SpecColumn]) -> dict[str, SpecColumn]:
    """The newest definition of each column; display names and column types changed over versions."""
    latest: dict[str, SpecColumn] = {}
    for column in sorted(columns, key=lambda column: column.version):
        latest[column.column_id] = column
    return dict(sorted(latest.items()))


def focus_columns_rows(
    columns: list[SpecColumn], commitment_columns: list[SpecColumn], naming: NamingConvention
) -> list[list[object]]:
    """Every column of every dataset once; `dataset` is Cost and Usage for a column both define."""
    versions: dict[str, list[str]] = {}
    for column in columns:
        versions.setdefault(column.column_id, []).append(column.version)
    rows = [
        [
            column_id,
            naming.normalize_identifier(column_id),
            column.display_name,
            column.data_type,
            column.column_type,
            min(versions[column_id]),
            max(versions[column_id]),
            COST_AND_USAGE,
        ]
        for column_id, column in latest_by_column(columns).items()
    ]
    for column in commitment_columns:
        if column.column_id in versions:
            if {row[3] for row in rows if row[0] == column.column_id} != {column.data_type}:
                raise ValueError(f"{column.column_id} has another data type in {CONTRACT_COMMITMENT}")
            continue
        rows.append(
            [
                column.column_id,
                naming.normalize_identifier(column.column_id),
                column.display_name,
                column.data_type,
                column.column_type,
                CONTRACT_COMMITMENT_VERSIONS[0],
                CONTRACT_COMMITMENT_VERSIONS[-1],
                CONTRACT_COMMITMENT,
            ]
        )
    return sorted(rows)


def profile_columns_rows(
    columns: list[SpecColumn], allowed: dict[tuple[str, str], list[str]]
) -> list[list[object]]:
    enumerated = {column_id for (_, column_id) in allowed}
    currency = {column.column_id for column in columns if column.is_currency_code}
    latest = latest_by_column(columns)
    missing = set(ANY_REQUIRED_COLUMNS) - set(latest)
    if missing:
        raise ValueError(f"profile any requires columns the spec does not define: {sorted(missing)}")
    requirement_of = {column_id: column_id for column_id in ANY_REQUIRED_COLUMNS}
    for alternatives in ANY_REQUIREMENT_ALTERNATIVES.values():
        for column_id in alternatives:
            requirement_of[column_id] = alternatives[0]
    rows: list[list[object]] = [
        [
            LENIENT_PROFILE,
            column_id,
            column_id in requirement_of,
            not (column_id in requirement_of and column_id not in ANY_NULLABLE_REQUIRED_COLUMNS),
            column_id in enumerated,
            column_id in currency,
            requirement_of.get(column_id),
        ]
        for column_id in latest
    ]
    for column in sorted(columns, key=lambda column: (column.version, column.column_id)):
        rows.append(
            [
                strict_profile(column.version),
                column.column_id,
                column.feature_level == "Mandatory",
                column.allows_nulls,
                (column.version, column.column_id) in allowed,
                column.is_currency_code,
                column.column_id if column.feature_level == "Mandatory" else None,
            ]
        )
    return rows


def profiles_rows() -> list[list[object]]:
    """Each data source profile for Cost and Usage, and its variant for the datasets its version has."""
    rows: list[list[object]] = [[LENIENT_PROFILE, None, True, LENIENT_PROFILE, COST_AND_USAGE]]
    rows += [[strict_profile(v), v, False, strict_profile(v), COST_AND_USAGE] for v in STRICT_VERSIONS]
    lenient = dataset_profile(LENIENT_PROFILE, CONTRACT_COMMITMENT)
    rows.append([lenient, None, True, LENIENT_PROFILE, CONTRACT_COMMITMENT])
    for version in CONTRACT_COMMITMENT_VERSIONS:
        profile = dataset_profile(strict_profile(version), CONTRACT_COMMITMENT)
        rows.append([profile, version, False, strict_profile(version), CONTRACT_COMMITMENT])
    return rows


def commitment_profiles() -> list[str]:
    return [dataset_profile(LENIENT_PROFILE, CONTRACT_COMMITMENT)] + [
        dataset_profile(strict_profile(version), CONTRACT_COMMITMENT) for version in CONTRACT_COMMITMENT_VERSIONS
    ]


def commitment_profile_columns_rows(commitment_columns: list[SpecColumn]) -> list[list[object]]:
    """The ContractCommitment dataset checked in every profile that has it, as its spec table says."""
    return [
        [
            profile,
            column.column_id,
            column.feature_level == "Mandatory",
            column.allows_nulls,
            bool(column.allowed_values),
            column.is_currency_code,
            column.column_id if column.feature_level == "Mandatory" else None,
        ]
        for profile in commitment_profiles()
        for column in sorted(commitment_columns, key=lambda column: column.column_id)
    ]


def commitment_allowed_values_rows(commitment_columns: list[SpecColumn]) -> list[list[object]]:
    rows: list[list[object]] = []
    for profile in commitment_profiles():
        for column in commitment_columns:
            for value in column.allowed_values:
                key = value.lower() if profile.startswith(LENIENT_PROFILE) else value
                rows.append([profile, column.column_id, value, key, value])
    return sorted(rows, key=lambda row: (row[0], row[1], row[3]))


def allowed_values_rows(allowed: dict[tuple[str, str], list[str]]) -> list[list[object]]:
    """Strict profiles match the exact spelling; `any` matches lower-cased input and a few aliases."""
    rows: list[list[object]] = []
    lenient: dict[str, list[str]] = {}
    for (version, column_id), values in sorted(allowed.items()):
        for value in values:
            rows.append([strict_profile(version), column_id, value, value, value])
            if value not in lenient.setdefault(column_id, []):
                lenient[column_id].append(value)
    for column_id, values in sorted(lenient.items()):
        for value in values:
            rows.append([LENIENT_PROFILE, column_id, value, value.lower(), value])
        for alias, canonical in ANY_VALUE_ALIASES.items():
            if canonical in values:
                rows.append([LENIENT_PROFILE, column_id, alias, alias.lower(), canonical])
    return sorted(rows, key=lambda row: (row[0], row[1], row[3]))


def column_aliases_rows(columns: list[SpecColumn], naming: NamingConvention) -> list[list[object]]:
    source = next(
        column
        for column in columns
        if column.version == ANY_ALIAS_SOURCE_VERSION and column.column_id == ANY_ALIASED_COLUMN
    )
    return [
        [
            LENIENT_PROFILE,
            ANY_ALIASED_COLUMN,
            source.display_name,
            naming.normalize_identifier(source.display_name),
            ANY_ALIAS_SOURCE_VERSION,
        ]
    ]


def column_fills_rows(columns: list[SpecColumn]) -> list[list[object]]:
    """Which column of marts.focus_charges is filled from which when a file lacks it (migration guidance)."""
    rows: list[list[object]] = []
    for column in sorted(columns, key=lambda column: (column.version, column.column_id)):
        if (match := REPLACED_BY.search(column.notes)) is not None:
            version, successor = match.groups()
            note = f"{column.column_id} deprecated in {version}, replaced by {successor} (columns.csv {column.version})"
            rows += [[successor, column.column_id, note], [column.column_id, successor, note]]
        elif (match := USE_INSTEAD.search(column.notes)) is not None:
            version, successor = match.groups()
            note = f"{column.column_id} deprecated in {version}: use {successor} instead (columns.csv {column.version})"
            rows.append([column.column_id, successor, note])
    unique = {(row[0], row[1]): row for row in rows}
    return sorted(unique.values())


def subcategory_parents_rows(spec_dir: Path) -> list[list[object]]:
    """Profile x ServiceSubcategory -> its parent ServiceCategory; `any` takes the pairs of every version."""
    rows: list[list[object]] = []
    lenient: set[tuple[str, str]] = set()
    for row in read_csv(spec_dir / "service_subcategory_parents.csv"):
        if row["focus_version"] in STRICT_VERSIONS:
            rows.append([strict_profile(row["focus_version"]), row["service_subcategory"], row["service_category"]])
            lenient.add((row["service_subcategory"], row["service_category"]))
    rows += [[LENIENT_PROFILE, subcategory, category] for subcategory, category in lenient]
    return sorted(rows)


def currency_rows(spec_dir: Path) -> list[list[object]]:
    return [
        [row["code"], row["numeric"], row["minor_units"], row["name"]]
        for row in read_csv(spec_dir / "iso4217.csv")
    ]


def reference_macro(seeds_dir: Path) -> str:
    """The seeds as one macro returning {seed name: [row, ...]}: JSON read by fromjson, one row a line."""
    sources = {name: seeds_dir / f"{name}.csv" for name in REFERENCE_SEEDS}
    sources["validation_rules"] = RULES_CATALOGUE
    lines = []
    for name, path in sources.items():
        rows = []
        for row in read_csv(path):
            record: dict[str, object] = {
                column: (value == "true" if column in REFERENCE_SEEDS[name] else (value or None))
                for column, value in row.items()
            }
            rows.append("    " + json.dumps(record, ensure_ascii=False))
        lines.append(f'  "{name}": [\n' + ",\n".join(rows) + "\n  ]")
    data = "{\n" + ",\n".join(lines) + "\n}"
    if any(token in data for token in ("{{", "{%", "{#", "%}", "#}")):
        raise ValueError("reference data contains Jinja delimiters; the macro cannot carry it verbatim")
    return (
        "{% macro focus_reference() %}\n"
        "    {#- Generated by scripts/generate_seeds.py from seeds/*.csv: do not edit. The seeds as\n"
        "        {seed: [row, ...]} for models that need one SQL expression per column or rule, read at\n"
        "        compile time from the project's files (focus_column_specs, focus_checks, focus_rule). -#}\n"
        "    {%- set reference -%}\n" + data + "\n    {%- endset -%}\n"
        "    {{ return(fromjson(reference)) }}\n"
        "{% endmacro %}\n"
    )


def generate(spec_dir: Path, seeds_dir: Path, macros_dir: Path = DEFAULT_MACROS_DIR) -> None:
    naming = NamingConvention()
    columns = load_columns(spec_dir)
    commitment_columns = load_contract_commitment_columns(spec_dir)
    allowed = load_allowed_values(spec_dir)
    write_csv(
        seeds_dir / "focus_columns.csv",
        [
            "column_id",
            "column_key",
            "display_name",
            "data_type",
            "column_type",
            "first_focus_version",
            "last_focus_version",
            "dataset",
        ],
        focus_columns_rows(columns, commitment_columns, naming),
    )
    write_csv(
        seeds_dir / "validation_profiles.csv",
        ["profile", "focus_version", "is_lenient", "base_profile", "dataset"],
        profiles_rows(),
    )
    write_csv(
        seeds_dir / "focus_profile_columns.csv",
        ["profile", "column_id", "is_required", "is_nullable", "is_enumerated", "is_currency_code", "requirement"],
        profile_columns_rows(columns, allowed) + commitment_profile_columns_rows(commitment_columns),
    )
    write_csv(
        seeds_dir / "focus_allowed_values.csv",
        ["profile", "column_id", "accepted_value", "match_key", "canonical_value"],
        allowed_values_rows(allowed) + commitment_allowed_values_rows(commitment_columns),
    )
    write_csv(
        seeds_dir / "focus_column_aliases.csv",
        ["profile", "column_id", "alias_name", "alias_key", "alias_focus_version"],
        column_aliases_rows(columns, naming),
    )
    write_csv(
        seeds_dir / "service_subcategory_parents.csv",
        ["profile", "service_subcategory", "service_category"],
        subcategory_parents_rows(spec_dir),
    )
    write_csv(
        seeds_dir / "focus_column_fills.csv",
        ["column_id", "filled_from", "guidance"],
        column_fills_rows(columns),
    )
    write_csv(
        seeds_dir / "iso4217_currencies.csv",
        ["code", "numeric_code", "minor_units", "name"],
        currency_rows(spec_dir),
    )
    (macros_dir / REFERENCE_MACRO).write_text(reference_macro(seeds_dir), encoding="utf-8")
    log.info("wrote %s", macros_dir / REFERENCE_MACRO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "spec_dir",
        nargs="?",
        type=Path,
        default=DEFAULT_SPEC_DIR,
        help="folder with columns.csv, enums.csv and iso4217.csv (default: reference/focus-spec)",
    )
    parser.add_argument("--seeds-dir", type=Path, default=DEFAULT_SEEDS_DIR, help="where to write the CSVs")
    parser.add_argument(
        "--macros-dir", type=Path, default=DEFAULT_MACROS_DIR, help=f"where to write {REFERENCE_MACRO}"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    generate(args.spec_dir, args.seeds_dir, args.macros_dir)


if __name__ == "__main__":
    main()
