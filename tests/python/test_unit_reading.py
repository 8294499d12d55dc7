"""Unit tests of reading: header checks, column keys and the translation of DuckDB's CSV errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from focus_ingest.reading import (
    HEADER_LIMIT_BYTES,
    CsvReader,
    Lineage,
    ReadOptions,
    UnreadableFile,
    _reason_of_duckdb_error,
    column_key,
    plain_csv,
    read_header,
)

# DuckDB's own messages (1.4), first lines as it writes them; the rest of each is its option dump.
RAGGED = (
    "Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 3,4,5\nExpected Number of Columns: 2 Found: 3\n"
    "Possible fixes:\n* Disable the parser's strict mode (strict_mode=false)\n\n  file = ragged.csv\n"
)
UNTERMINATED = (
    'Invalid Input Error: CSV Error on Line: 2\nOriginal Line: 1,"2\n3,4\n\nValue with unterminated quote found.\n'
    "\nPossible fixes:\n* Disable the parser's strict mode (strict_mode=false)\n"
)
TOO_LONG = (
    "Invalid Input Error: CSV Error on Line: 2\nOriginal Line: 1,xxxx\nMaximum line size of 2048 bytes exceeded. "
    "Actual Size:3002 bytes.\n\nPossible Solution: Change the maximum length size, e.g., max_line_size=3004\n"
)
NOT_UTF8 = (
    "Invalid Input Error: CSV Error on Line: 2\nOriginal Line: 1,??\nInvalid unicode (byte sequence mismatch) "
    "detected. This file is not utf-8 encoded.\n"
)


@pytest.mark.parametrize(
    ("message", "reason", "line"),
    [
        (RAGGED, "a record has 3 fields where the header has 2 (ragged row)", 3),
        (UNTERMINATED, "a quoted value is never closed (unterminated quote)", 2),
        (TOO_LONG, "a record is longer than the limit of 2,048 bytes (--max-record-bytes)", 2),
        (NOT_UTF8, "not UTF-8 encoded: save the file as UTF-8", 2),
        ("IO Error: gzip stream error: invalid block type", "corrupt or truncated gzip data", None),
        ("Invalid Input Error: zlib inflate failed", "corrupt or truncated gzip data", None),
        ("Some new DuckDB error\nwith detail", "Some new DuckDB error", None),
    ],
)
def test_duckdb_errors_become_a_short_reason_and_a_line(message: str, reason: str, line: int | None) -> None:
    error = _reason_of_duckdb_error(message)
    assert (error.reason, error.line) == (reason, line)
    assert str(error) == (reason if line is None else f"{reason} (line {line})")


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"BilledCost,ChargeCategory\n1,2\n3,4,5\n", "a record has 3 fields where the header has 2 (ragged row)"),
        (b'BilledCost,ChargeCategory\n1,"2\n3,4\n', "a quoted value is never closed (unterminated quote)"),
        (b"BilledCost,ChargeCategory\n1,\xff\xfe\n", "not UTF-8 encoded: save the file as UTF-8"),
    ],
)
def test_the_installed_duckdb_still_says_what_the_mapping_expects(tmp_path: Path, content: bytes, problem: str) -> None:
    """The same mapping on the messages the installed DuckDB really writes: a DuckDB upgrade that rewords
    them fails here, not in a user's run."""
    path = write(tmp_path / "f.csv", content)
    lineage = Lineage("source", "2025-03/f.csv", "etag", "2025-03", "run")
    with pytest.raises(UnreadableFile) as raised, CsvReader(ReadOptions(batch_rows=10)) as reader:
        list(reader.batches(path, ["BilledCost", "ChargeCategory"], lineage))
    assert raised.value.reason == problem
    assert raised.value.line is not None


def test_a_good_file_streams_its_text_and_lineage(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", b'BilledCost,Billing Currency\n1.50,USD\n,"a,b"\n')
    lineage = Lineage("source", "2025-03/f.csv", "etag", "2025-03", "run")
    with CsvReader(ReadOptions(batch_rows=1)) as reader:
        batches = list(reader.batches(path, read_header(path), lineage))
    rows = [row for batch in batches for row in batch.to_pylist()]
    assert [(row["billed_cost"], row["billing_currency"], row["_ingest_row_number"]) for row in rows] == [
        ("1.50", "USD", 1), ("", "a,b", 2),
    ]  # fmt: skip
    assert rows[0]["_ingest_key"] == "2025-03/f.csv" and rows[0]["_ingest_billing_month"] == "2025-03"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("BilledCost", "billed_cost"),
        ("PricingCurrencyContractedUnitPrice", "pricing_currency_contracted_unit_price"),
        ("x_CustomTag", "x_custom_tag"),
        ("Billing Currency", "billing_currency"),
        ("ProviderName", "provider_name"),
    ],
)
def test_column_keys_are_dlt_snake_case(name: str, key: str) -> None:
    assert column_key(name) == key


def test_header_keeps_names_as_written(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", '\ufeff"BilledCost","x_Région, net"\n1,2\n'.encode())
    assert read_header(path) == ["BilledCost", "x_Région, net"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file: no header line"),
        (b"  \n\n", "no header line (only blank space)"),
        (b"BilledCost,,ChargeCategory\n", "column 2 of the header has an empty name"),
        (b"BilledCost,BilledCost\n", "duplicate column name: 'BilledCost' appears twice"),
        (b"BilledCost,billed_cost\n", "duplicate column name: 'billed_cost' appears as 'BilledCost' and 'billed_cost'"),
        (b"BilledCost,_ingest_key\n", "column name '_ingest_key' is reserved for focus-ingest lineage"),
        (b"BilledCost;ChargeCategory;ServiceName\n", "the header has one column and contains ';'"),
        (b"Billed\xe9Cost,x\n", "not UTF-8 encoded: save the file as UTF-8"),
        (b'"BilledCost,x\n', "malformed header"),
    ],
)
def test_bad_headers_are_refused_at_line_one(tmp_path: Path, content: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile) as raised:
        read_header(write(tmp_path / "f.csv", content))
    assert raised.value.reason.startswith(reason), raised.value.reason
    assert raised.value.line == 1


def test_a_header_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "f.csv", b"A" * (HEADER_LIMIT_BYTES + 10))
    with pytest.raises(UnreadableFile, match="header line longer than"):
        read_header(path)


def test_gzip_is_inflated_within_the_per_file_limit(tmp_path: Path) -> None:
    content = b"BilledCost\n" + b"1\n" * 1000
    packed = write(tmp_path / "f.csv.gz", gzip.compress(content))
    with plain_csv(packed, True, ReadOptions(), tmp_path) as plain:
        assert plain.read_bytes() == content
    with pytest.raises(UnreadableFile, match=r"uncompressed, the file exceeds the per-file limit of 100 bytes"), \
            plain_csv(packed, True, ReadOptions(max_file_bytes=100), tmp_path):
        pass  # fmt: skip
    with pytest.raises(UnreadableFile, match="corrupt or truncated gzip data"), \
            plain_csv(write(tmp_path / "t.csv.gz", gzip.compress(content)[:20]), True, ReadOptions(), tmp_path):
        pass  # fmt: skip
    plain_file = write(tmp_path / "f.csv", content)
    with pytest.raises(UnreadableFile, match="larger than the per-file limit of 100 bytes"), \
            plain_csv(plain_file, False, ReadOptions(max_file_bytes=100), tmp_path):
        pass  # fmt: skip
