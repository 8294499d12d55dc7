"""The sample-data generator must look like the public FOCUS sample and be valid FOCUS 1.0 everywhere
except where the demo breaks it on purpose; the demo and the benchmarks rely on both."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from focus_ingest.sample_data import (
    FOCUS_COLUMNS,
    NULL,
    SECOND_CURRENCY_PROVIDER,
    generate_table,
    recent_months,
    write_csv,
    write_demo_tree,
    write_month_files,
)

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
SAMPLE = REFERENCE / "focus-samples" / "focus_sample_1000.csv"
SPEC = REFERENCE / "focus-spec"
MONEY = re.compile(r"-?\d+\.\d{11}")
CONSUMED = re.compile(r"\d+\.\d{15}")
STAMP = "%Y-%m-%d %H:%M:%S"
ENUM_COLUMNS = (
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "CommitmentDiscountCategory",
    "CommitmentDiscountStatus", "PricingCategory", "ServiceCategory",
)  # fmt: skip


def _spec_enums() -> dict[str, set[str]]:
    allowed: dict[str, set[str]] = defaultdict(set)
    with (SPEC / "enums.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            if row["focus_version"] == "1.0":
                allowed[row["column_id"]].add(row["allowed_value"])
    return allowed


def _currencies() -> set[str]:
    with (SPEC / "iso4217.csv").open(newline="") as file:
        return {row["code"] for row in csv.DictReader(file)}


ENUMS = _spec_enums()
CURRENCIES = _currencies()


def _month_start(month: str) -> datetime:
    return datetime.strptime(month, "%Y-%m")


def _next_month_start(month: str) -> datetime:
    start = _month_start(month)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def focus_problems(row: dict[str, str], month: str) -> list[str]:
    """Everything about one row that is not valid FOCUS 1.0 (or not the sample's format) for ``month``."""
    problems = []
    for column in ENUM_COLUMNS:
        if row[column] != NULL and row[column] not in ENUMS[column]:
            problems.append(f"{column} {row[column]!r} is not a FOCUS 1.0 value")
    if row["BillingCurrency"] not in CURRENCIES:
        problems.append(f"BillingCurrency {row['BillingCurrency']!r} is not an ISO 4217 code")
    for column in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost"):
        if not MONEY.fullmatch(row[column]):
            problems.append(f"{column} {row[column]!r} is not a number with 11 decimals")
    for column in ("PricingQuantity", "ContractedUnitPrice"):
        if row[column] != NULL and not MONEY.fullmatch(row[column]):
            problems.append(f"{column} {row[column]!r} is not a number with 11 decimals")
    if row["ConsumedQuantity"] != NULL and not CONSUMED.fullmatch(row["ConsumedQuantity"]):
        problems.append(f"ConsumedQuantity {row['ConsumedQuantity']!r} is not a number with 15 decimals")
    start, end = _month_start(month), _next_month_start(month)
    if (row["BillingPeriodStart"], row["BillingPeriodEnd"]) != (start.strftime(STAMP), end.strftime(STAMP)):
        problems.append("billing period is not the month")
    charge_start = datetime.strptime(row["ChargePeriodStart"], STAMP)
    charge_end = datetime.strptime(row["ChargePeriodEnd"], STAMP)
    if not start <= charge_start < charge_end <= end:
        problems.append(f"charge period {charge_start}..{charge_end} is not inside {month}")
    if row["ChargeCategory"] == "Credit" and not row["BilledCost"].startswith("-"):
        problems.append("credit is not negative")
    if row["ChargeCategory"] == "Purchase" and row["ChargeFrequency"] == "Usage-Based":
        problems.append("a purchase cannot be Usage-Based")
    if row["ChargeCategory"] == "Tax" and row["PricingCategory"] != NULL:
        problems.append("PricingCategory must be null for taxes")
    if (row["CommitmentDiscountId"] == NULL) != (row["CommitmentDiscountCategory"] == NULL):
        problems.append("CommitmentDiscountCategory must be null exactly when CommitmentDiscountId is")
    if (row["PricingQuantity"] == NULL) != (row["PricingUnit"] == NULL):
        problems.append("PricingUnit must be null exactly when PricingQuantity is")
    if row["Tags"] != NULL and not isinstance(json.loads(row["Tags"]), dict):
        problems.append("Tags is not a JSON object")
    return problems


def read_csv_file(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a plain or gzipped CSV file, every value as text."""
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_columns_and_header_line_match_the_public_sample(tmp_path: Path) -> None:
    with SAMPLE.open(newline="") as file:
        sample_header = next(csv.reader(file))
    table = generate_table("2024-09", 10, seed=1)
    assert table.column_names == sample_header == list(FOCUS_COLUMNS)
    written = write_csv(table, tmp_path / "x.csv")
    sample_first_line = SAMPLE.read_text().splitlines()[0]
    assert written.read_text().splitlines()[0] == sample_first_line


@pytest.mark.parametrize("month", ["2024-02", "2024-09", "2024-12", "2025-01"])
def test_every_row_is_valid_focus_inside_its_month(month: str) -> None:
    rows = generate_table(month, 3000, seed=11, second_currency="EUR").to_pylist()
    assert {problem for row in rows for problem in focus_problems(row, month)} == set()


def test_rows_look_like_a_real_multi_provider_export() -> None:
    rows = generate_table("2024-09", 20_000, seed=5).to_pylist()
    assert {row["ProviderName"] for row in rows} == {"AWS", "Microsoft", "Oracle"}
    assert {row["ChargeCategory"] for row in rows} == {"Usage", "Purchase", "Tax", "Credit"}
    credits = [row for row in rows if row["ChargeCategory"] == "Credit"]
    assert 0 < len(credits) < len(rows) // 100
    names_by_account: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        names_by_account[row["SubAccountId"]].add(row["SubAccountName"])
    assert len(names_by_account) >= 30
    assert all(len(names) == 1 for names in names_by_account.values())
    categories = {(row["ServiceName"], row["ServiceCategory"]) for row in rows}
    assert ("Amazon Relational Database Service", "Databases") in categories
    assert ("Storage Accounts", "Storage") in categories
    assert ("Amazon Simple Storage Service", "Compute") not in categories
    assert {row["BillingCurrency"] for row in rows} == {"USD"}
    assert any(row["Tags"] == NULL for row in rows)
    assert any(row["Tags"].startswith('{"application": ') for row in rows)
    assert len({row["Id"] for row in rows}) == len(rows)


def test_costs_agree_with_quantity_and_price() -> None:
    rows = generate_table("2024-09", 5000, seed=3).to_pylist()
    priced = [row for row in rows if row["ListUnitPrice"] != NULL]
    assert priced
    for row in priced:
        expected = Decimal(row["PricingQuantity"]) * Decimal(row["ListUnitPrice"])
        assert abs(Decimal(row["ListCost"]) - expected) <= Decimal("1e-10") * max(1, Decimal(row["ListUnitPrice"]))
    committed = [row for row in rows if row["PricingCategory"] == "Committed"]
    assert committed
    for row in committed:
        assert Decimal(row["BilledCost"]) == 0
        assert 0 < Decimal(row["EffectiveCost"]) < Decimal(row["ListCost"])


def test_second_currency_applies_to_one_provider_only() -> None:
    rows = generate_table("2024-09", 3000, seed=2, second_currency="EUR").to_pylist()
    currency_by_provider: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        currency_by_provider[row["ProviderName"]].add(row["BillingCurrency"])
    assert currency_by_provider.pop(SECOND_CURRENCY_PROVIDER) == {"EUR"}
    assert set().union(*currency_by_provider.values()) == {"USD"}


def test_same_arguments_give_the_same_rows_and_bytes(tmp_path: Path) -> None:
    assert generate_table("2024-09", 500, seed=9).equals(generate_table("2024-09", 500, seed=9))
    assert not generate_table("2024-09", 500, seed=9).equals(generate_table("2024-09", 500, seed=10))
    assert not generate_table("2024-09", 500, seed=9).equals(generate_table("2024-09", 500, seed=9, part=1))
    first = write_month_files(tmp_path / "a", "2024-09", 2, 200, seed=9)
    second = write_month_files(tmp_path / "b", "2024-09", 2, 200, seed=9)
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]


def test_files_of_a_month_share_one_estate_but_not_their_rows() -> None:
    part_one = generate_table("2024-09", 2000, seed=4, part=1).to_pylist()
    part_two = generate_table("2024-09", 2000, seed=4, part=2).to_pylist()
    other_month = generate_table("2024-10", 2000, seed=4, part=1).to_pylist()
    resources = {row["ResourceId"] for row in part_one} - {NULL}
    assert resources & {row["ResourceId"] for row in part_two}
    assert resources & {row["ResourceId"] for row in other_month}
    assert part_one != part_two


def test_month_files_round_trip_through_csv_and_gzip(tmp_path: Path) -> None:
    paths = write_month_files(tmp_path, "2024-09", 3, 120, seed=6)
    assert [path.relative_to(tmp_path).as_posix() for path in paths] == [
        "2024-09/focus-2024-09-1.csv",
        "2024-09/focus-2024-09-2.csv.gz",
        "2024-09/focus-2024-09-3.csv",
    ]
    assert paths[1].read_bytes()[:2] == b"\x1f\x8b"
    ids = []
    for number, path in enumerate(paths, start=1):
        header, rows = read_csv_file(path)
        expected = generate_table("2024-09", 120, seed=6, part=number, first_id=(number - 1) * 120 + 1)
        assert header == list(FOCUS_COLUMNS)
        assert rows == expected.to_pylist()
        ids += [row["Id"] for row in rows]
    assert ids == [str(i) for i in range(1, 361)]


def test_plain_option_writes_no_gzip(tmp_path: Path) -> None:
    paths = write_month_files(tmp_path, "2024-09", 2, 10, seed=6, gzip_every_other=False)
    assert [path.name for path in paths] == ["focus-2024-09-1.csv", "focus-2024-09-2.csv"]


def _raw_fields(line: str) -> list[str]:
    """Fields of one CSV line with their quotes kept, to see how each value was written."""
    fields, current, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            fields.append(current)
            current = ""
        else:
            current += char
    return [*fields, current]


def _quoting_by_column(text: str) -> dict[str, set[str]]:
    """For each column, whether its non-NULL values are written quoted, bare, or both."""
    lines = text.splitlines()
    header = [name.strip('"') for name in _raw_fields(lines[0])]
    styles: dict[str, set[str]] = {name: set() for name in header}
    for line in lines[1:]:
        for name, field in zip(header, _raw_fields(line), strict=True):
            if field != NULL:
                styles[name].add("quoted" if field.startswith('"') else "bare")
    return styles


def test_csv_quotes_values_the_way_the_sample_does(tmp_path: Path) -> None:
    path = write_csv(generate_table("2024-09", 2000, seed=8), tmp_path / "q.csv")
    ours = _quoting_by_column(path.read_text())
    sample = _quoting_by_column(SAMPLE.read_text())
    assert ours["BilledCost"] == ours["Id"] == {"bare"}
    assert ours["Tags"] == ours["ListUnitPrice"] == {"quoted"}
    assert {name: styles for name, styles in ours.items() if not styles <= sample[name]} == {}


def test_recent_months_end_with_the_current_month() -> None:
    assert recent_months(date(2025, 1, 31), 3) == ["2024-11", "2024-12", "2025-01"]
    assert recent_months(date(2024, 9, 1), 1) == ["2024-09"]
    with pytest.raises(ValueError):
        recent_months(date(2024, 9, 1), 0)


@pytest.mark.parametrize("month", ["2024-9", "2024-13", "202409", "2024-09-01", "March-2025"])
def test_bad_month_is_refused(month: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        generate_table(month, 1, seed=1)


def test_demo_tree_has_three_months_and_one_file_broken_only_by_its_currency(tmp_path: Path) -> None:
    paths = write_demo_tree(tmp_path, date(2025, 3, 10))
    layout = sorted(path.relative_to(tmp_path).as_posix() for path in paths)
    assert layout == [
        "2025-01/focus-2025-01-1.csv", "2025-01/focus-2025-01-2.csv.gz",
        "2025-02/focus-2025-02-1.csv", "2025-02/focus-2025-02-2.csv.gz",
        "2025-03/focus-2025-03-1.csv", "2025-03/focus-2025-03-2.csv.gz",
        "2025-03/focus-2025-03-bad-currency.csv",
    ]  # fmt: skip
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == layout
    for path in paths[:-1]:
        month = path.parent.name
        header, rows = read_csv_file(path)
        assert header == list(FOCUS_COLUMNS)
        assert 100 <= len(rows) <= 1000
        assert [problem for row in rows for problem in focus_problems(row, month)] == []

    header, rows = read_csv_file(paths[-1])
    assert header == list(FOCUS_COLUMNS)
    problems = [focus_problems(row, "2025-03") for row in rows]
    assert (
        sorted(map(tuple, problems))
        == [()] * (len(rows) - 2) + [("BillingCurrency 'US$' is not an ISO 4217 code",)] * 2
    )
    ids = [row["Id"] for path in paths if path.parent.name == "2025-03" for row in read_csv_file(path)[1]]
    assert len(ids) == len(set(ids))
