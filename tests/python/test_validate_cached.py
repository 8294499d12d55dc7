"""`validate` runs the SQL dbt compiled for the validation models, cached per project: it gives the verdicts
of a real `dbt build`, notices a changed model, and two processes can validate at once."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from loader_helpers import DOC_EXAMPLE, SAMPLE_1000, run_cli, write

from focus_ingest import compiled_validation, dbt_build, validation_build
from focus_ingest.dbt_project_files import project_files
from focus_ingest.errors import FocusIngestError
from focus_ingest.reading import (
    CsvReader,
    Lineage,
    ReadOptions,
    UnreadableFile,
    column_key,
    insert_rows,
    lineage_values,
    read_header,
)
from focus_ingest.validate import validate_files
from focus_ingest.validation_build import validate_files_with_dbt

pytestmark = pytest.mark.slow  # builds the validation cache with dbt: `make test-fast` leaves it out


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """A cache of this module's own, so that the first validate compiles with dbt here."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(compiled_validation.CACHE_VARIABLE, str(folder))
        yield folder


def _replace_column(text: str, column: str, value: str) -> str:
    """The CSV text with every value of `column` replaced."""
    rows = list(csv.reader(io.StringIO(text)))
    position = rows[0].index(column)
    for row in rows[1:]:
        row[position] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _drop_column(text: str, column: str) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    position = rows[0].index(column)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([row[:position] + row[position + 1 :] for row in rows])
    return out.getvalue()


def _add_columns(text: str, names: list[str]) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    extra = [[*rows[0], *names]] + [[*row, *(f"v{n}" for n in range(len(names)))] for row in rows[1:]]
    csv.writer(out, lineterminator="\n").writerows(extra)
    return out.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Accepted files, files rejected by several rules at once, and unreadable ones."""
    root = tmp_path_factory.mktemp("export")
    march, september = root / "2025-03", root / "2024-09"
    text = DOC_EXAMPLE.read_text()
    several = text.replace(",USD,", ",US$,", 1)
    several = _replace_column(several, "ChargePeriodStart", "2025-03-01 25:00")
    several = _replace_column(several, "ChargeCategory", "Bogus")
    return [
        write(march / "doc_example.csv", text),
        write(september / "sample.csv", SAMPLE_1000.read_bytes()),
        write(march / "several rules.csv", several),
        write(march / "missing column.csv.gz", _drop_column(text, "BilledCost")),
        write(march / "extra columns.csv", _add_columns(text, ["x_Team", "Mystery", "RegionNme"])),
        write(march / "ragged.csv.gz", text + "1.00,acct-001\n"),
        write(march / "empty.csv", ""),
        write(march / "latin1.csv", text.replace("acct", "accté").encode("latin-1")),
        write(september / "wrong month.csv", text),
    ]


@pytest.mark.parametrize("profile", ["any", "focus-1.0"])
def test_the_cached_sql_gives_the_verdicts_of_dbt_build(cache_dir, files, profile):
    cached = [verdict.as_dict() for verdict in validate_files(files, None, profile)]
    built = [verdict.as_dict() for verdict in validate_files_with_dbt(files, None, profile)]

    assert cached == built
    statuses = {Path(v["path"]).name: v["status"] for v in cached}
    assert statuses["ragged.csv.gz"] == statuses["empty.csv"] == statuses["latin1.csv"] == "rejected"
    assert statuses["doc_example.csv"] == ("accepted" if profile == "any" else "rejected")  # 1.0 requires more
    several = next(v for v in cached if v["path"].endswith("several rules.csv"))
    assert len({i["rule"] for i in several["issues"] if i["severity"] == "error"}) >= 3
    assert [entry.name for entry in cache_dir.joinpath("validate").iterdir()] == [compiled_validation.cache_key()]


def _project_copy(target: Path) -> Path:
    root = dbt_build.project_dir()
    for relative in project_files(root):
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(root / relative, target / relative)
    return target


def test_a_changed_model_is_compiled_again_and_its_sql_runs(cache_dir, files, tmp_path, monkeypatch):
    project = _project_copy(tmp_path / "project")
    monkeypatch.setattr(dbt_build, "project_dir", lambda: project)
    monkeypatch.setattr(compiled_validation, "project_dir", lambda: project)
    monkeypatch.setattr(validation_build, "project_dir", lambda: project)
    several = [path for path in files if path.name == "several rules.csv"]
    before = validate_files(several, None, "any")[0]
    key_before = compiled_validation.cache_key()

    model = project / "models" / "marts" / "file_validation.sql"
    original = model.read_text()
    model.write_text(original.replace("        first_error\n", "        upper(first_error) as first_error\n"))
    after = validate_files(several, None, "any")[0]

    assert compiled_validation.cache_key() != key_before
    assert before.first_error and after.first_error == before.first_error.upper()
    entries = {entry.name for entry in (cache_dir / "validate").iterdir()}
    assert {key_before, compiled_validation.cache_key()} <= entries

    model.write_text(original)  # back to the first version: its entry is current again, dbt does not run
    monkeypatch.setattr(validation_build, "run_dbt_build", _no_dbt)
    assert validate_files(several, None, "any")[0].first_error == before.first_error


def _no_dbt(*_arguments: object, **_options: object) -> bool:
    raise AssertionError("dbt ran although the cache entry was current")


def test_a_project_that_does_not_build_is_a_clear_error(capsys, files, tmp_path, monkeypatch):
    monkeypatch.setenv(compiled_validation.CACHE_VARIABLE, str(tmp_path / "cache"))
    monkeypatch.setattr(validation_build, "run_dbt_build", lambda *_a, **_k: False)

    with pytest.raises(FocusIngestError, match="failed to build"):
        validate_files(files[:1], None, "any")
    status, _, err = run_cli(capsys, "validate", str(files[0]))

    assert status != 0 and "failed to build" in err and "Traceback" not in err
    assert [entry.name for entry in (tmp_path / "cache" / "validate").iterdir()] == []  # nothing half-written


def test_a_cache_folder_that_cannot_be_written_is_a_clear_error(capsys, files, tmp_path, monkeypatch):
    not_a_folder = write(tmp_path / "file", "x")
    monkeypatch.setenv(compiled_validation.CACHE_VARIABLE, str(not_a_folder))

    status, _, err = run_cli(capsys, "validate", str(files[0]))

    assert status != 0 and "Cannot write the validation cache" in err and compiled_validation.CACHE_VARIABLE in err
    assert "Traceback" not in err


def test_two_validate_processes_at_once_on_an_empty_cache(files, tmp_path):
    """Both compile (the first rename wins), both give the verdicts, and neither needs a database."""
    cache, work = tmp_path / "cache", tmp_path / "cwd"
    work.mkdir()
    environment = {**os.environ, compiled_validation.CACHE_VARIABLE: str(cache)}
    command = [sys.executable, "-m", "focus_ingest.cli", "validate", *map(str, files[:3]), "--format", "json"]
    processes = [
        subprocess.Popen(command, cwd=work, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]

    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 1, err  # the third file is rejected
        assert "Traceback" not in err
    reports = [json.loads(out) for out, _ in outputs]
    assert reports[0] == reports[1] and (reports[0]["accepted"], reports[0]["rejected"]) == (2, 1)
    assert [entry.name for entry in (cache / "validate").iterdir()] == [compiled_validation.cache_key()]
    assert list(work.iterdir()) == []


def test_insert_rows_gives_the_rows_the_csv_reader_gives_dlt(tmp_path):
    """Same columns, values and row numbers, also when DuckDB reads the file in parallel blocks."""
    rows = [f'{n}.00,acct-{n % 97},USD,"note, {n}",{"" if n % 5 else "NULL"}' for n in range(1, 120_001)]
    path = write(tmp_path / "many.csv", "BilledCost,BillingAccountId,BillingCurrency,x_Note,Tags\n" + "\n".join(rows))
    options = ReadOptions(max_record_bytes=256 * 1024, read_block_bytes=256 * 1024, batch_rows=7_000)
    names = read_header(path)
    lineage = Lineage("source", "2025-03/many.csv", "1-2", "2025-03", "run-1")
    with CsvReader(options) as reader:
        streamed = pa.Table.from_batches(list(reader.batches(path, names, lineage)))
    connection = duckdb.connect()
    connection.execute("create table inserted as select * from streamed limit 0")

    count = insert_rows(connection, "inserted", path, names, lineage, options)

    assert count == streamed.num_rows == 120_000 and path.stat().st_size > 10 * options.read_block_bytes
    differing = connection.execute(
        "select count(*) from ((select * from inserted except all select * from streamed)"
        " union all (select * from streamed except all select * from inserted))"
    ).fetchone()[0]
    assert differing == 0
    out_of_order = connection.execute(
        "select count(*) from inserted where _ingest_row_number <> cast(split_part(billed_cost, '.', 1) as bigint)"
    ).fetchone()[0]
    assert out_of_order == 0


def test_insert_rows_reports_a_ragged_record_like_the_csv_reader_and_inserts_nothing(tmp_path):
    path = write(tmp_path / "ragged.csv", DOC_EXAMPLE.read_text() + "1.00,acct-001\n")
    names = read_header(path)
    lineage = Lineage("source", "ragged.csv", "1-2", "2025-03", "run-1")
    columns = [column_key(name) for name in names] + list(lineage_values(lineage))
    connection = duckdb.connect()
    connection.execute(
        f"create table inserted ({', '.join(f'{c} varchar' for c in columns)}, _ingest_row_number bigint)"
    )

    with pytest.raises(UnreadableFile) as from_insert:
        insert_rows(connection, "inserted", path, names, lineage, ReadOptions())
    with pytest.raises(UnreadableFile) as from_batches, CsvReader(ReadOptions()) as reader:
        list(reader.batches(path, names, lineage))

    assert (from_insert.value.reason, from_insert.value.line) == (from_batches.value.reason, from_batches.value.line)
    assert "ragged row" in from_insert.value.reason
    assert connection.execute("select count(*) from inserted").fetchone()[0] == 0


_IMPORTED_TOOLS = (
    "import json, sys; from focus_ingest.cli import main; status = main(sys.argv[1:]);"
    "print(json.dumps([status, sorted({m.split('.')[0] for m in sys.modules} & {'dlt', 'dbt'})]))"
)


def test_a_cached_validate_imports_neither_dlt_nor_dbt(files, tmp_path):
    """Importing them costs ~1 s of a call; only the first validate of a project version (dbt builds) needs them."""
    environment = {**os.environ, compiled_validation.CACHE_VARIABLE: str(tmp_path / "cache")}
    command = [sys.executable, "-c", _IMPORTED_TOOLS, "validate", str(files[0]), "--format", "json"]

    def imported() -> list[object]:
        process = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
        return json.loads(process.stdout.splitlines()[-1])

    assert imported() == [0, ["dbt", "dlt"]]  # an empty cache: dbt builds the entry, the loader writes its raw layer
    assert imported() == [0, []]


def test_small_and_large_inputs_give_the_same_verdicts_with_and_without_the_optimizer(cache_dir, files, monkeypatch):
    """Up to UNOPTIMIZED_MAX_ROWS rows the models run with DuckDB's optimizer off (faster to plan): same verdicts."""
    unoptimized = [verdict.as_dict() for verdict in validate_files(files, None, "any")]
    assert 1_000 < sum(v["rows"] or 0 for v in unoptimized) <= compiled_validation.UNOPTIMIZED_MAX_ROWS
    monkeypatch.setattr(compiled_validation, "UNOPTIMIZED_MAX_ROWS", 0)
    optimized = [verdict.as_dict() for verdict in validate_files(files, None, "any")]

    assert unoptimized == optimized


def test_a_file_with_few_columns_gives_the_verdicts_and_samples_of_a_full_raw_layer(cache_dir, tmp_path):
    """validate reads only the files' header columns and shows the others as typed nulls (a view over them):
    a three-column file beside a wide one gives what the loader's full-width raw.focus_rows gives under dbt."""
    narrow = "BillingCurrency,ChargePeriodStart,x_Team\nUS$,2025-03-01 25:00,a\nUSD,2025-03-01T00:00:00Z,b\nEU,,c\n"
    paths = [
        write(tmp_path / "2025-03" / "few columns.csv", narrow),
        write(tmp_path / "2025-03" / "doc_example.csv", DOC_EXAMPLE.read_text()),
    ]

    cached = [verdict.as_dict() for verdict in validate_files(paths, None, "any")]
    built = [verdict.as_dict() for verdict in validate_files_with_dbt(paths, None, "any")]

    assert cached == built
    few = cached[0]
    assert few["status"] == "rejected" and few["rows"] == 3
    sampled = {i["column"]: i["samples"] for i in few["issues"] if i["severity"] == "error" and i["samples"]}
    assert {"row": 1, "value": "US$"} in sampled["BillingCurrency"]
    assert any(sample["row"] == 1 for sample in sampled["ChargePeriodStart"])
    assert any(i["column"] == "BilledCost" for i in few["issues"])  # a column the file lacks is still reported
    assert cached[1]["status"] == "accepted"
