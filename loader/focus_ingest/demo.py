"""`focus-ingest demo`: a full cycle on generated sample data, to see the tool work in one command.

It writes three months of realistic FOCUS files (one of them deliberately broken) into a local folder laid
out like a bucket, loads them, builds the marts, and prints what an analyst and a data producer would look
at: the monthly cost per sub-account and the rejected file with its reasons.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from focus_ingest import state
from focus_ingest.dbt_build import build_marts
from focus_ingest.pipeline import run_load, work_dir_for
from focus_ingest.run_report import RunOutcome, render_outcome
from focus_ingest.sample_data import write_demo_tree
from focus_ingest.settings import DataSource, RunSettings
from focus_ingest.verdicts import rejected_in_window

DEMO_SOURCE = "demo"


TOP_SUB_ACCOUNTS = 10
_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")


def _table(rows: list[list[str]], headers: list[str]) -> str:
    cells = [headers, *rows]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]
    numeric = [all(_NUMBER.match(row[index]) for row in rows) for index in range(len(headers))]
    lines = [
        "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(row, widths, numeric, strict=True)
        )
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join("  " + line.rstrip() for line in lines)


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _costs_by_sub_account(costs: list[tuple[str, str, str, Decimal]]) -> list[str]:
    """Per currency: the largest sub-accounts by billed cost, one column per month, the rest summed."""
    parts = []
    for currency in sorted({row[1] for row in costs}):
        in_currency = [row for row in costs if row[1] == currency]
        months = sorted({row[2] for row in in_currency})
        by_name: dict[str, dict[str, Decimal]] = {}
        for name, _, month, billed in in_currency:
            by_name.setdefault(name, {})[month] = billed
        ranked = sorted(by_name, key=lambda name: -sum(by_name[name].values()))
        shown, others = ranked[:TOP_SUB_ACCOUNTS], ranked[TOP_SUB_ACCOUNTS:]
        rows = [[name, *(_money(by_name[name].get(m, Decimal(0))) for m in months)] for name in shown]
        if others:
            rows.append(
                [
                    f"({len(others)} others)",
                    *(_money(sum((by_name[n].get(m, Decimal(0)) for n in others), Decimal(0))) for m in months),
                ]
            )
        totals = [_money(sum((b.get(m, Decimal(0)) for b in by_name.values()), Decimal(0))) for m in months]
        rows.append(["total", *totals])
        parts += [f"Billed cost per sub-account, {currency} (marts.costs_monthly):", _table(rows, ["", *months]), ""]
    return parts


def _marts_report(database: Path) -> str:
    with state.connect(database, read_only=True) as connection:
        costs = connection.execute(
            """
            select d.name, c.BillingCurrency, c.x_BillingMonth, sum(c.BilledCost)
            from marts.costs_monthly as c
            inner join marts.data_sources as d on d.data_source_id = c.x_DataSourceId
            group by all
            """
        ).fetchall()
        rejected = connection.execute(
            """
            select f.key, e.rule, coalesce(e.column_name, ''), e.error_count,
                   coalesce(cast(e.sample_1_row_number as varchar), ''), coalesce(e.sample_1_value, '')
            from marts.file_validation as f
            inner join marts.validation_errors as e on e.key = f.key and e.etag = f.etag
            where f.status = 'rejected' and e.severity = 'error' order by 1, 2, 3
            """
        ).fetchall()
    parts = _costs_by_sub_account(costs)
    parts.append("Rejected files (marts.file_validation, marts.validation_errors):")
    if rejected:
        rows = [[str(value) for value in row] for row in rejected]
        parts.append(_table(rows, ["file", "rule", "column", "rows", "first row", "value"]))
    else:
        parts.append("  none")
    return "\n".join(parts)


def _as_typed(path: Path) -> str:
    """A path as the user would type it: relative when under the working directory (`.venv/bin/...`)."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def _commands() -> tuple[str, str]:
    """How to call focus-ingest and the Python that has duckdb: the bare name once it is on PATH (pipx,
    an activated venv), else the paths of this installation's scripts (`make demo`'s `.venv/bin/...`)."""
    scripts = Path(sys.executable).parent
    on_path = shutil.which("focus-ingest")
    if on_path and Path(on_path).resolve() == (scripts / "focus-ingest").resolve():
        program = "focus-ingest"
    else:
        program = _as_typed(scripts / "focus-ingest")
    return program, _as_typed(Path(sys.executable))


def next_steps(database: Path) -> str:
    """The commands to try after the demo, with this demo's database and this installation's commands."""
    program, python = _commands()
    connect = f"duckdb.connect('{database}', read_only=True)"
    query = f"import duckdb; print({connect}.sql('select * from marts.costs_monthly'))"
    return "\n".join(
        [
            "Next:",
            f"  {program} status --database {database}",
            f"  {program} report --database {database} --output report.html",
            f'  {python} -c "{query}"',
        ]
    )


def run_demo(workdir: Path, database: Path | None, as_json: bool = False) -> int:
    """Regenerate the demo folder from scratch and run load + build on it."""
    today = datetime.now(UTC).date()
    data = workdir / "data"
    database = database or workdir / "focus.duckdb"
    workdir.mkdir(parents=True, exist_ok=True)
    with state.run_lock(database):
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(work_dir_for(database), ignore_errors=True)
        database.unlink(missing_ok=True)
        files = write_demo_tree(data, today)
        print(f"Generated {len(files)} sample files in {data}/ (months as of {today})", file=sys.stderr)
        source = DataSource(name=DEMO_SOURCE, location=str(data.resolve()))
        summary = run_load(RunSettings(sources=(source,), database=database))
        build = build_marts(database, work_dir_for(database), quiet=False)
        with state.connect(database, read_only=True) as connection:
            rejected = rejected_in_window(connection, [DEMO_SOURCE], summary.first_month)
    outcome = RunOutcome("run", summary, build, rejected)
    if as_json:
        print(json.dumps(outcome.as_dict(), indent=2, default=str))
    else:
        print(render_outcome(outcome))
        print()
        print(_marts_report(database))
        print()
        print(next_steps(database))
    return outcome.exit_status(fail_on_rejected=False)
