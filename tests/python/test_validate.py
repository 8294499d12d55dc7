"""`focus-ingest validate`: the pre-upload check gives the verdicts ingestion gives, in words, JSON, JUnit."""

from __future__ import annotations

import json
import shutil
from xml.etree import ElementTree

import pytest
from loader_helpers import DOC_EXAMPLE, query, run_cli, write

pytestmark = pytest.mark.slow  # runs dbt or the whole CLI: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A producer's folder: a good file, one with a wrong currency, one that is not a readable CSV."""
    folder = tmp_path_factory.mktemp("export") / "2025-03"
    folder.mkdir()
    good = folder / "doc_example.csv"
    shutil.copy(DOC_EXAMPLE, good)
    bad = write(folder / "bad currency.csv", DOC_EXAMPLE.read_text().replace(",USD,", ",US$,", 2))
    ragged = write(folder / "ragged.csv.gz", DOC_EXAMPLE.read_text() + "1.00,acct-001\n")
    return good, bad, ragged


def test_json_verdicts_name_the_rule_the_rows_and_the_fix(capsys, files):
    good, bad, ragged = files

    status, output, _ = run_cli(capsys, "validate", str(good), str(bad), str(ragged), "--format", "json")
    report = json.loads(output)

    assert status == 1
    assert (report["accepted"], report["rejected"]) == (1, 2)
    by_path = {entry["path"]: entry for entry in report["files"]}
    assert by_path[str(good)]["status"] == "accepted"
    errors = [i for i in by_path[str(bad)]["issues"] if i["severity"] == "error"]
    assert [(i["rule"], i["column"], i["count"]) for i in errors] == [("currency_code", "BillingCurrency", 2)]
    assert errors[0]["samples"] == [{"row": 1, "value": "US$"}, {"row": 2, "value": "US$"}]
    assert "ISO 4217" in errors[0]["how_to_fix"]
    unreadable = by_path[str(ragged)]
    assert unreadable["status"] == "rejected" and unreadable["rows"] is None
    assert "ragged row" in unreadable["first_error"] and "line 5" in unreadable["first_error"]


def test_text_and_junit_reports_and_exit_status(capsys, files):
    good, bad, _ = files

    status, text, _ = run_cli(capsys, "validate", str(good))
    assert status == 0
    assert text.startswith(f"ACCEPTED {good}") and text.rstrip().endswith("1 accepted, 0 rejected")

    status, xml, _ = run_cli(capsys, "validate", str(bad), str(good), "--format", "junit")
    assert status == 1
    suite = ElementTree.fromstring(xml).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failures = {case.get("name"): case.find("failure") for case in suite.iter("testcase")}
    assert failures[str(good)] is None
    assert failures[str(bad)].get("message").startswith("BillingCurrency is not an ISO 4217 currency code")


def test_validate_gives_the_verdicts_of_ingestion(capsys, files, tmp_path):
    good, bad, ragged = files
    report = json.loads(run_cli(capsys, "validate", str(good), str(bad), str(ragged), "--format", "json")[1])
    database = tmp_path / "focus.duckdb"

    run_cli(capsys, "run", "--source", str(good.parent.parent), "--database", str(database), "--as-of",
            "2025-03-20", "--quiet")

    ingested = dict(query(database, "select key, status from marts.file_validation"))
    assert {entry["path"]: entry["status"] for entry in report["files"]} == {
        str(path): ingested[f"2025-03/{path.name}"] for path in files
    }


def test_the_month_comes_from_the_folder_or_from_month(capsys, tmp_path):
    loose = write(tmp_path / "costs.csv", DOC_EXAMPLE.read_text())

    status, _, err = run_cli(capsys, "validate", str(loose))
    assert status == 2 and "pass --month YYYY-MM" in err

    status, text, _ = run_cli(capsys, "validate", str(loose), "--month", "2025-03")
    assert status == 0 and "(month 2025-03," in text


def test_a_one_row_file_is_one_row_in_the_text(capsys, tmp_path):
    first_row = "\n".join(DOC_EXAMPLE.read_text().splitlines()[:2]) + "\n"
    one_row = write(tmp_path / "2025-03" / "one.csv", first_row)

    status, text, _ = run_cli(capsys, "validate", str(one_row))

    assert status == 0, text
    assert "1 row," in text and "1 rows" not in text
