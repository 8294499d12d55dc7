"""Unit tests of discovery: which listed key is a billing file of which month, and why others are ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from focus_ingest.discovery import EXPECTED_LAYOUT, classify, discover
from focus_ingest.errors import SourceError
from focus_ingest.stores import StoredObject


def stored(key: str) -> StoredObject:
    return StoredObject(key=key, etag="e", size=1, last_modified=datetime(2025, 3, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("key", "month"),
    [
        ("exports/2025-03/costs.csv", "2025-03"),
        ("exports/2025-03/costs.csv.gz", "2025-03"),
        ("exports/2025-03/SAAS-PART-2.CSV.GZ", "2025-03"),  # extensions are case-insensitive
        ("exports/1999-12/a b ü.csv", "1999-12"),
    ],
)
def test_files_directly_in_a_month_folder_belong_to_it(key: str, month: str) -> None:
    assert classify(key, "exports/") == (month, None)


@pytest.mark.parametrize("key", ["exports/", "exports/2025-03/", "exports/2025-03/sub/"])
def test_folder_markers_are_skipped_quietly(key: str) -> None:
    assert classify(key, "exports/") == (None, None)


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("exports/costs.csv", "not inside a month folder: put it in a YYYY-MM/ folder"),
        ("exports/202503/costs.csv", "folder '202503' is not named YYYY-MM (rename it to 2025-03/)"),
        ("exports/2025_03/costs.csv", "folder '2025_03' is not named YYYY-MM (rename it to 2025-03/)"),
        ("exports/2025.03/costs.csv", "folder '2025.03' is not named YYYY-MM (rename it to 2025-03/)"),
        ("exports/2025-13/costs.csv", "folder '2025-13' is not a billing month: month folders are named YYYY-MM"),
        ("exports/2025-3/costs.csv", "folder '2025-3' is not a billing month: month folders are named YYYY-MM"),
        ("exports/March/costs.csv", "folder 'March' is not a billing month"),
        ("exports/2025-03/deep/costs.csv", "nested too deep: files must be directly inside 2025-03/"),
        ("exports/2025-03/costs.xlsx", ".xlsx is not supported: only .csv and .csv.gz files are read"),
        ("exports/2025-03/costs.gz", ".gz is not supported"),
        ("exports/2025-03/costs.csv.zip", ".zip is not supported"),
        ("exports/2025-03/README", "(no extension) is not supported"),
    ],
)
def test_every_other_object_gets_a_reason_that_says_what_to_do(key: str, reason: str) -> None:
    month, why = classify(key, "exports/")
    assert month is None and why is not None and why.startswith(reason), why


def test_an_empty_prefix_classifies_from_the_bucket_root() -> None:
    assert classify("2025-03/costs.csv", "") == ("2025-03", None)
    assert classify("costs.csv", "")[1] == "not inside a month folder: put it in a YYYY-MM/ folder"


def test_discover_sorts_files_by_month_and_keeps_empty_month_folders() -> None:
    keys = ["p/2025-03/a.csv", "p/2025-03/b.csv.gz", "p/2025-02/", "p/2025-01/notes.txt", "p/x.csv"]
    found = discover([stored(key) for key in keys], "p/", "s3://bucket/p/")
    assert found.months == ["2025-01", "2025-02", "2025-03"]  # folders without files are still months
    assert [file.item.key for file in found.files_by_month["2025-03"]] == ["p/2025-03/a.csv", "p/2025-03/b.csv.gz"]
    assert [file.is_gzip for file in found.files_by_month["2025-03"]] == [False, True]
    assert found.files_by_month["2025-01"] == found.files_by_month["2025-02"] == []
    assert [entry.key for entry in found.ignored] == ["p/2025-01/notes.txt", "p/x.csv"]
    assert (found.listed, found.folders) == (4, 1)  # folder markers are counted apart


def test_no_month_folder_is_an_error_that_shows_what_was_seen_and_the_layout() -> None:
    with pytest.raises(SourceError) as raised:
        discover([stored("p/202503/a.csv"), stored("p/a.csv")], "p/", "s3://bucket/p/")
    message = str(raised.value)
    assert message.startswith("No billing periods found in s3://bucket/p/. Saw 2 files, none in a month folder")
    assert "p/202503/a.csv: folder '202503' is not named YYYY-MM (rename it to 2025-03/)" in message
    assert message.endswith(f"Expected layout: {EXPECTED_LAYOUT}")


def test_an_empty_location_says_so() -> None:
    with pytest.raises(SourceError, match=r"Saw nothing \(no folder is named YYYY-MM\)"):
        discover([], "p/", "/data/exports")
