"""The run as an operator sees it (issue 12): exit statuses and messages of the commands, run as a user runs them.

Each test runs `focus-ingest` (in-process through `focus_ingest.cli.main`, or as a subprocess where the terminal,
the process or stdout itself is what is checked) and looks at the exit status and what was printed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import pty
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from loader_helpers import DOC_EXAMPLE, minimal_file, query, query_statuses, run_cli, write

from focus_ingest import dbt_build, state
from focus_ingest.cli import main

AS_OF = ("--as-of", "2025-03-15")
REPO = Path(__file__).resolve().parents[2]
FOCUS_INGEST = REPO / ".venv" / "bin" / "focus-ingest"
BAD_CURRENCY = DOC_EXAMPLE.read_text().replace(",USD,", ",US$,", 1)


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text and 'File "' not in text, text


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def _source_with_one_bad_file(root: Path) -> Path:
    source = root / "bucket"
    shutil.copy(DOC_EXAMPLE, write(source / "2025-03" / "good.csv", b""))
    write(source / "2025-03" / "bad-currency.csv", BAD_CURRENCY)
    write(source / "2025-03" / "ragged.csv", "a,b\n1\n")
    return source


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(source, database) after one `run`: a good file, one rejected by a rule, one unreadable."""
    root = tmp_path_factory.mktemp("built")
    source = _source_with_one_bad_file(root)
    database = root / "focus.duckdb"
    assert main(["run", "--source", str(source), "--database", str(database), "--quiet", *AS_OF]) == 0
    return source, database


# --- 1. one lock for the whole run -------------------------------------------------------------------------------


def _hold_lock(database: Path) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from focus_ingest import state\n"
         "with state.run_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
         str(database)],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow  # runs dbt
def test_a_second_run_exits_at_once_with_the_lock_message(capsys, built, tmp_path):
    source, database = built
    holder = _hold_lock(database)
    try:
        for command in (
            ("run", "--source", str(source), "--database", str(database), *AS_OF),
            ("load", "--source", str(source), "--database", str(database), *AS_OF),
            ("status", "--database", str(database)),
            ("report", "--database", str(database), "--output", str(tmp_path / "r.html")),
        ):
            started = time.monotonic()
            status, out, err = run_cli(capsys, *command)
            assert status == 1, (command, err)
            assert "Another focus-ingest run is using" in _one_line(err) and "focus.duckdb.lock" in err
            assert time.monotonic() - started < 5 and out == ""
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow  # runs dbt
def test_the_lock_is_held_through_the_dbt_build(capsys, tmp_path, monkeypatch):
    source = tmp_path / "bucket"
    shutil.copy(DOC_EXAMPLE, write(source / "2025-03" / "a.csv", b""))
    database = tmp_path / "focus.duckdb"
    seen: list[bool] = []

    def build_that_checks_the_lock(*_: object, **__: object) -> bool:
        with state.lock_path_of(database).open("a") as handle:  # another open file: as another process would
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                seen.append(False)
            except BlockingIOError:
                seen.append(True)
        return True

    monkeypatch.setattr(dbt_build, "run_dbt_build", build_that_checks_the_lock)
    status, _, err = run_cli(capsys, "run", "--source", str(source), "--database", str(database), *AS_OF)
    assert status == 0, err
    assert seen == [True]


def test_an_unexpected_error_is_one_line_and_verbose_logs_the_traceback(capsys, caplog, tmp_path, monkeypatch):
    import focus_ingest.pipeline  # the CLI imports the loader when `load` or `run` runs (start-up time)

    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(focus_ingest.pipeline, "run_load", broken)
    arguments = ("load", "--source", str(tmp_path), "--database", str(tmp_path / "f.duckdb"))
    status, _, err = run_cli(capsys, *arguments)
    assert status == 1
    assert "unexpected error: RuntimeError: boom" in _one_line(err) and "--verbose" in err
    _no_traceback(err)

    with caplog.at_level(logging.DEBUG):
        status, _, err = run_cli(capsys, *arguments, "--verbose")
    assert status == 1
    assert any(record.exc_info for record in caplog.records if "unexpected error" in record.getMessage())


# --- 2. a mistaken --database ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["load", "run", "status", "report", "demo"])
@pytest.mark.parametrize("case", ["folder", "not duckdb", "missing folder"])
def test_a_mistaken_database_is_one_line_and_exit_status_2(capsys, tmp_path, command, case):
    folder = tmp_path / "demo"
    folder.mkdir()
    database = {
        "folder": folder,
        "not duckdb": write(tmp_path / "notes.duckdb", "this is not a database\n"),
        "missing folder": tmp_path / "nowhere" / "focus.duckdb",
    }[case]
    extra = {"load": ("--source", str(folder)), "run": ("--source", str(folder)),
             "demo": ("--workdir", str(tmp_path / "w")), "report": ("--output", str(tmp_path / "r.html"))}  # fmt: skip
    status, out, err = run_cli(capsys, command, "--database", str(database), *extra.get(command, ()))
    assert status == 2, err
    line = _one_line(err)
    expected = {"folder": "is a folder", "not duckdb": "is not a DuckDB database", "missing folder": "does not exist"}
    assert expected[case] in line and str(database) in line
    assert out == ""


def test_the_folder_of_the_demo_points_to_its_database(capsys, tmp_path):
    write(tmp_path / "demo" / "focus.duckdb", b"")
    status, _, err = run_cli(capsys, "status", "--database", str(tmp_path / "demo"))
    assert status == 2 and f"--database {tmp_path / 'demo' / 'focus.duckdb'}" in err


# --- 3. dbt's output -------------------------------------------------------------------------------------------


@pytest.mark.slow  # runs dbt
def test_dbt_writes_nothing_to_stdout_and_a_few_lines_to_stderr(tmp_path):
    source = tmp_path / "bucket"
    shutil.copy(DOC_EXAMPLE, write(source / "2025-03" / "a.csv", b""))
    command = [str(FOCUS_INGEST), "run", "--source", str(source), "--database", str(tmp_path / "f.duckdb"), *AS_OF]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("focus-ingest run ") and "result: ok" in result.stdout
    assert "START" not in result.stdout and "PASS=" not in result.stdout and "\x1b[" not in result.stdout
    dbt_lines = [line for line in result.stderr.splitlines() if "dbt" in line]
    assert 2 <= len(dbt_lines) <= 12, result.stderr
    assert any("PASS=" in line for line in dbt_lines) and "\x1b[" not in result.stderr
    _no_traceback(result.stdout, result.stderr)

    verbose = subprocess.run([*command, "--rebuild", "--verbose"], capture_output=True, text=True, cwd=tmp_path,
                             timeout=300)  # fmt: skip
    assert verbose.returncode == 0, verbose.stderr
    assert "OK created sql view model staging.stg_focus__file_events" in verbose.stderr
    assert "START" not in verbose.stdout


def _run_with_stderr_on_a_terminal(command: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (as a person at a terminal has it) and stdout on a pipe."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=slave, cwd=cwd)
    os.close(slave)
    out, _ = process.communicate(timeout=300)
    reader.join(timeout=10)
    os.close(master)
    return process.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


@pytest.mark.slow  # runs dbt
def test_on_a_terminal_dbt_is_one_redrawn_status_line(tmp_path):
    source = tmp_path / "bucket"
    shutil.copy(DOC_EXAMPLE, write(source / "2025-03" / "a.csv", b""))
    command = [str(FOCUS_INGEST), "run", "--source", str(source), "--database", str(tmp_path / "f.duckdb"), *AS_OF]
    status, out, terminal = _run_with_stderr_on_a_terminal(command, tmp_path)
    assert status == 0, terminal
    assert "\r\x1b[Kdbt build: " in terminal  # redrawn in place
    newline_dbt_lines = [line for line in terminal.replace("\r\n", "\n").split("\n") if "dbt" in line]
    assert len(newline_dbt_lines) <= 3, newline_dbt_lines  # started, the redrawn line, the end
    assert "result: ok" in out and "\x1b[" not in out


@pytest.mark.slow  # runs dbt
def test_dbt_failing_on_a_locked_database_is_a_message(capsys, tmp_path, monkeypatch):
    source = tmp_path / "bucket"
    shutil.copy(DOC_EXAMPLE, write(source / "2025-03" / "a.csv", b""))
    database = tmp_path / "focus.duckdb"
    notebooks: list[subprocess.Popen] = []
    real_build = dbt_build.run_dbt_build

    def build_while_a_notebook_holds_the_file(*arguments: object, **options: object) -> bool:
        notebook = subprocess.Popen(  # opened between the load and the build: only dbt meets it
            [sys.executable, "-c",
             "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True); time.sleep(60)",
             str(database)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        notebooks.append(notebook)
        assert notebook.stdout is not None and notebook.stdout.readline().strip() == "open"
        return real_build(*arguments, **options)

    monkeypatch.setattr(dbt_build, "run_dbt_build", build_while_a_notebook_holds_the_file)
    try:
        status, out, err = run_cli(capsys, "run", "--source", str(source), "--database", str(database), *AS_OF)
    finally:
        for notebook in notebooks:
            notebook.kill()
            notebook.wait()
    assert status == 1
    assert "dbt build: FAILED (dbt build could not run: " in out and "Could not set lock on file" in out
    assert "result: FAILED (dbt build failed)" in out
    _no_traceback(out, err)


# --- 4. rejections in plain sight --------------------------------------------------------------------------------


@pytest.mark.slow  # runs dbt
def test_the_summary_lists_every_rejected_file_with_its_first_error(capsys, built):
    source, database = built
    run = ("run", "--source", str(source), "--database", str(database), *AS_OF)
    status, out, _ = run_cli(capsys, *run)
    assert status == 0
    assert "rejected files: 2" in out
    assert re.search(r"rejected bucket:2025-03/bad-currency.csv: BillingCurrency is not an ISO 4217", out)
    assert "unreadable bucket:2025-03/ragged.csv: " in out
    assert "result: ok, 2 files rejected" in out

    status, summary, _ = run_cli(capsys, *run, "--json")
    assert status == 0 and summary["ok"] is True and summary["files_rejected"] == 2
    assert {entry["key"]: entry["verdict"] for entry in summary["rejected"]} == {
        "2025-03/bad-currency.csv": "rejected",
        "2025-03/ragged.csv": "unreadable",
    }
    assert all(entry["first_error"] for entry in summary["rejected"])


@pytest.mark.slow  # runs dbt
def test_fail_on_rejected_exits_3_from_the_flag_and_from_the_config(capsys, built, tmp_path):
    source, database = built
    status, _, _ = run_cli(capsys, "run", "--source", str(source), "--database", str(database), *AS_OF,
                           "--fail-on-rejected")  # fmt: skip
    assert status == 3
    config = write(tmp_path / "sources.toml", f'[run]\nfail_on_rejected = true\ndatabase = "{database}"\n'
                   f'as_of = 2025-03-15\n[[sources]]\nname = "bucket"\nlocation = "{source}"\n')  # fmt: skip
    assert run_cli(capsys, "run", "--config", str(config))[0] == 3


@pytest.mark.slow  # runs dbt
def test_status_shows_the_verdict_of_each_file(capsys, built):
    _, database = built
    status, report, _ = run_cli(capsys, "status", "--database", str(database), "--json")
    assert status == 0
    assert {file["key"]: file["verdict"] for file in report["files"]} == {
        "2025-03/good.csv": "accepted",
        "2025-03/bad-currency.csv": "rejected",
        "2025-03/ragged.csv": "unreadable",
    }
    status, text, _ = run_cli(capsys, "status", "--database", str(database))
    assert re.search(r"2025-03/bad-currency.csv\s+rejected\s+\d+\s+BillingCurrency", text)
    assert re.search(r"2025-03/ragged.csv\s+unreadable", text)
    assert "files: 1 accepted, 1 rejected, 1 unreadable, 0 not validated yet" in text
    assert not re.search(r"\d\d:\d\d:\d\d\.\d", text)  # no microseconds (13)


def test_status_after_load_only_says_not_validated_yet(capsys, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 1))
    database = tmp_path / "focus.duckdb"
    run_cli(capsys, "load", "--source", str(source), "--database", str(database), *AS_OF)
    status, text, _ = run_cli(capsys, "status", "--database", str(database))
    assert status == 0 and "not validated yet" in text


# --- 5. a failed data source does not build ---------------------------------------------------------------------


def test_a_failed_source_that_changed_nothing_does_not_build(capsys, tmp_path):
    database = tmp_path / "focus.duckdb"
    status, out, err = run_cli(capsys, "run", "--source", str(tmp_path / "missing"), "--database", str(database))
    assert status == 1
    assert "FAILED: Folder" in out and "dbt build: not run (a data source failed and no data changed)" in out
    assert "result: FAILED (data source missing failed)" in out
    assert "result: ok" not in out and "Completed successfully" not in out + err
    assert query(database, "select count(*) from information_schema.tables where table_name = 'builds'") == [(0,)]


# --- 6. the config file ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[run]\nlookback_month = 3\n', "[run] lookback_month: unknown key"),
        ('[runn]\nlookback_months = 3\n', "[runn]: unknown table"),
        ('[run]\nlookback_months = "two"\n', "[run] lookback_months: Input should be a valid integer"),
        ('[run]\nmax_file_bytes = "-1GB"\n', "[run] max_file_bytes: '-1GB' is not a size"),
        ('[run]\nbatch_rows = 0\n', "[run] batch_rows: Input should be greater than 0"),
        ('[run]\nbackfill_from = "2025-3"\n', "[run] backfill_from: '2025-3' is not a month"),
    ],
)
def test_config_errors_name_the_file_and_the_key(capsys, tmp_path, text, message):
    config = write(tmp_path / "sources.toml", text + f'[[sources]]\nlocation = "{tmp_path}"\n')
    status, out, err = run_cli(capsys, "run", "--config", str(config))
    assert status == 2
    line = _one_line(err)
    assert f"Config file {config}" in line and message in line, line
    assert out == ""


def test_a_source_key_that_is_unknown_or_of_the_wrong_type_is_named(capsys, tmp_path):
    config = write(tmp_path / "s.toml", f'[[sources]]\nlocation = "{tmp_path}"\nprofil = "x"\n'
                   f'[[sources]]\nlocation = "{tmp_path}"\nrole_arn = 1\n')  # fmt: skip
    status, _, err = run_cli(capsys, "load", "--config", str(config))
    assert status == 2
    assert "[[sources]] #1 profil: unknown key" in err
    assert "[[sources]] #2 role_arn: Input should be a valid string" in err


def test_run_table_sets_every_option_and_flags_win(capsys, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-01" / "old.csv", minimal_file("2025-01", 1))
    write(source / "2025-03" / "big.csv", minimal_file("2025-03", 50))
    config = write(tmp_path / "sources.toml", '[run]\nlookback_months = 0\nas_of = 2025-03-15\n'
                   'database = "f.duckdb"\nmax_file_bytes = "1KB"\njson = true\n'
                   '[[sources]]\nname = "b"\nlocation = "bucket"\n')  # fmt: skip
    status, summary, _ = run_cli(capsys, "load", "--config", str(config), "--json")
    assert status == 0, summary
    assert summary["first_month"] == "2025-03" and summary["database"] == str(tmp_path / "f.duckdb")
    assert summary["totals"]["files_unreadable"] == 1  # 1KB from [run]
    assert "per-file limit" in summary["sources"][0]["unreadable"][0]["reason"]

    status, summary, _ = run_cli(capsys, "load", "--config", str(config), "--lookback-months", "3",
                                 "--max-file-bytes", "1MB", "--json")  # fmt: skip
    assert summary["first_month"] == "2024-12"  # the flag wins
    assert summary["totals"]["files_new"] == 1 and summary["totals"]["files_changed"] == 1  # read again, 1MB


def test_per_source_flags_with_a_config_apply_to_every_source_and_name_is_refused(capsys, tmp_path, monkeypatch):
    import focus_ingest.pipeline  # the CLI imports the loader when `load` or `run` runs (start-up time)

    seen = []

    def run_load(settings, _):
        seen.append(settings)
        raise KeyboardInterrupt

    monkeypatch.setattr(focus_ingest.pipeline, "run_load", run_load)
    config = write(tmp_path / "s.toml", '[run]\nregion = "eu-west-1"\n[[sources]]\nname = "a"\nlocation = "s3://b/a/"\n'
                   '[[sources]]\nname = "c"\nlocation = "s3://b/c/"\nregion = "us-east-2"\n')  # fmt: skip
    run_cli(capsys, "load", "--config", str(config), "--database", str(tmp_path / "f.duckdb"),
            "--role-arn", "arn:aws:iam::123456789012:role/r", "--profile", "focus-1.2")  # fmt: skip
    sources = seen[0].sources
    assert {s.role_arn for s in sources} == {"arn:aws:iam::123456789012:role/r"}
    assert {s.profile for s in sources} == {"focus-1.2"}
    assert [s.region for s in sources] == ["eu-west-1", "us-east-2"]  # [run] default, the source's own wins

    status, _, err = run_cli(capsys, "load", "--config", str(config), "--name", "x")
    assert status == 2 and "--name or --config" in err


# --- 7. validate ---------------------------------------------------------------------------------------------


def test_validate_rejects_an_unsupported_file(capsys, tmp_path):
    path = write(tmp_path / "2025-03" / "costs.xlsx", b"PK\x03\x04")
    status, out, _ = run_cli(capsys, "validate", str(path))
    assert status == 1
    assert "REJECTED" in out and ".xlsx is not supported" in out and "0 accepted, 1 rejected" in out
    status, out, _ = run_cli(capsys, "validate", str(path), "--format", "junit")
    assert status == 1 and 'tests="1" failures="1"' in out


def test_validate_blames_a_wrong_month_flag(capsys, tmp_path):
    path = write(tmp_path / "2025-03" / "a.csv", minimal_file("2025-03", 1))
    status, _, err = run_cli(capsys, "validate", str(path), "--month", "2025-3")
    assert status == 2 and "--month '2025-3' is not a month" in _one_line(err)


# --- 8. sizes, limits, --help ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--batch-rows", "0", "give 1 or more"),
        ("--max-file-bytes", "-5", "is not a size"),
        ("--max-record-bytes", "0", "more than 0 bytes"),
        ("--lookback-months", "-1", "give 0 or more"),
        ("--memory-limit", "lots", "is not a size"),
    ],
)
def test_wrong_numbers_are_usage_errors(capsys, tmp_path, flag, value, message):
    status, _, err = run_cli(capsys, "load", "--source", str(tmp_path), flag, value)
    assert status == 2
    line = _one_line(err)
    assert flag in line and message in line and "--help" in line


def test_size_flags_take_units_and_help_shows_defaults(capsys, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 2))
    database = str(tmp_path / "f.duckdb")
    status, summary, err = run_cli(capsys, "load", "--source", str(source), "--database", database,
                                   "--max-file-bytes", "1GB", "--max-record-bytes", "1MiB", "--json", *AS_OF)
    assert status == 0, err
    assert summary["totals"]["rows_loaded"] == 2
    assert query_statuses(tmp_path / "f.duckdb", "select read_limits from file_statuses")[0][0] == json.dumps(
        {"max_file_bytes": 10**9, "max_file_rows": 100_000_000, "max_record_bytes": 1024**2}, sort_keys=True
    )
    status, out, _ = run_cli(capsys, "run", "--help")
    assert status == 0
    for default in ("(default: 512MB)", "(default: 100,000)", "(default: 2)", "(default: focus.duckdb)",
                    "(default: 16 MiB)", "(default: 20 GiB)"):  # fmt: skip
        assert default in " ".join(out.split()), default


def test_a_file_rejected_for_a_limit_is_read_again_when_the_limit_changes(capsys, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 100))
    load = ("load", "--source", str(source), "--database", str(tmp_path / "f.duckdb"), "--json", *AS_OF)
    assert run_cli(capsys, *load, "--max-file-rows", "10")[1]["totals"]["files_unreadable"] == 1
    assert run_cli(capsys, *load, "--max-file-rows", "10")[1]["totals"]["files_unchanged"] == 1  # same limit
    summary = run_cli(capsys, *load)[1]
    assert summary["totals"]["files_changed"] == 1 and summary["totals"]["rows_loaded"] == 100
    assert run_cli(capsys, *load)[1]["totals"]["files_unchanged"] == 1


def test_retry_rejected_reads_an_unreadable_file_again(capsys, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "ragged.csv", "a,b\n1\n")
    load = ("load", "--source", str(source), "--database", str(tmp_path / "f.duckdb"), "--json", *AS_OF)
    assert run_cli(capsys, *load)[1]["totals"]["files_unreadable"] == 1
    assert run_cli(capsys, *load)[1]["totals"]["files_unchanged"] == 1
    summary = run_cli(capsys, *load, "--retry-rejected")[1]
    assert summary["totals"]["files_changed"] == 1 and summary["totals"]["files_unreadable"] == 1


# --- 10. after the demo, --version ---------------------------------------------------------------------------


@pytest.mark.slow  # runs dbt
def test_demo_prints_the_next_commands_with_its_database(capsys, tmp_path):
    workdir = tmp_path / "demo"
    status, out, _ = run_cli(capsys, "demo", "--workdir", str(workdir))
    assert status == 0
    database = workdir / "focus.duckdb"
    assert f"focus-ingest status --database {database}" in out
    assert f"focus-ingest report --database {database}" in out
    assert f"duckdb.connect('{database}', read_only=True)" in out
    assert run_cli(capsys, "status", "--database", str(database))[0] == 0


@pytest.mark.parametrize("command", ["status", "report"])
def test_a_missing_database_gets_the_hint(capsys, tmp_path, command):
    database = tmp_path / "focus.duckdb"
    status, _, err = run_cli(capsys, command, "--database", str(database))
    assert status == 2
    line = _one_line(err)
    assert "does not exist yet" in line and f"--database {database}" in line and "demo/focus.duckdb" in line


def test_version():
    result = subprocess.run([str(FOCUS_INGEST), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and re.fullmatch(r"focus-ingest \d+\.\d+\.\d+\S*\n", result.stdout)


# --- 11. STS of S3-compatible stores ---------------------------------------------------------------------------


@pytest.mark.slow  # runs dbt
def test_help_and_sts_endpoint_url_for_s3_compatible_stores(capsys, tmp_path, s3_bucket):
    status, out, _ = run_cli(capsys, "run", "--help")
    text = " ".join(out.split())
    assert "STS stays AWS's unless --sts-endpoint-url or AWS_ENDPOINT_URL_STS" in text
    write(tmp_path / "a.csv", minimal_file("2025-03", 1))
    s3_bucket.put_file("sts/2025-03/a.csv", tmp_path / "a.csv")
    database = str(tmp_path / "f.duckdb")
    status, out, err = run_cli(capsys, "load", "--source", s3_bucket.uri("sts"), "--database", database,
                               "--role-arn", "arn:aws:iam::123456789012:role/none",
                               "--sts-endpoint-url", "http://127.0.0.1:9", *AS_OF)  # fmt: skip
    assert status == 1 and "127.0.0.1:9" in out  # the STS call went to the given endpoint
    _no_traceback(out, err)


# --- 13. small things -------------------------------------------------------------------------------------------


@pytest.mark.slow  # runs dbt
def test_small_things_in_the_texts(capsys, built, tmp_path):
    source = tmp_path / "bucket"
    write(source / "2025-03" / "a.csv", minimal_file("2025-03", 1))
    (tmp_path / "empty" / "202503").mkdir(parents=True)
    database = str(tmp_path / "f.duckdb")

    status, out, _ = run_cli(capsys, "load", "--source", str(source), "--database", database, *AS_OF)
    assert status == 0 and out.startswith("focus-ingest load ") and "1 row loaded" in out and "1 file fetched" in out

    status, out, _ = run_cli(capsys, "load", "--source", str(tmp_path / "empty"), "--database", database, *AS_OF)
    assert status == 1 and "Saw no file, only 1 folder" in out

    status, _, err = run_cli(capsys, "load", "--source", str(source), "--database", database, "--as-of",
                             "2025-03-15", "--backfill-from", "2025-02")  # fmt: skip
    assert status == 2 and "--backfill-from 2025-02 is inside the window already" in err

    status, _, err = run_cli(capsys, "load", "--source", "gs://bucket/x/", "--database", database)
    assert status == 2 and "only s3:// URLs" in err

    _, built_database = built
    status, out, err = run_cli(capsys, "report", "--database", str(built_database), "--output",
                               str(tmp_path / "r.html"))  # fmt: skip
    assert status == 0 and (out + err).count("report written to") == 1


def test_an_upper_case_s3_scheme_is_s3(capsys, tmp_path, s3_bucket):
    write(tmp_path / "a.csv", minimal_file("2025-03", 2))
    s3_bucket.put_file("upper/2025-03/a.csv", tmp_path / "a.csv")
    uri = "S3://" + s3_bucket.uri("upper").removeprefix("s3://")
    status, summary, err = run_cli(capsys, "load", "--source", uri, "--database", str(tmp_path / "f.duckdb"),
                                   "--json", *AS_OF)  # fmt: skip
    assert status == 0, err
    assert summary["totals"]["rows_loaded"] == 2 and summary["sources"][0]["location"].startswith("s3://")
