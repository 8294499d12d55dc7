"""`focus-ingest demo`: a full cycle on generated sample data, to see the tool work in one command.

It writes three months of realistic FOCUS files (one of them deliberately broken) into a local folder laid
out like a bucket, loads them, builds the marts, and prints what an analyst and a data producer would look
at: the monthly cost per sub-account and the rejected file with its reasons.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from loader import state
from loader.pipeline import run_load, work_dir_for
from loader.sample_data import write_demo_tree
from loader.settings import DataSource, RunSettings

DEMO_SOURCE = "demo"


def _table(rows: list[tuple], headers: list[str]) -> str:
    cells = [headers, *[["" if value is None else str(value) for value in row] for row in rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(headers))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _marts_report(database: Path) -> str:
    # Not read-only: dbt-duckdb keeps its read-write instance open in this process, and DuckDB refuses a
    # second instance of one file with another configuration.
    with state.connect(database) as connection:
        costs = connection.execute(
            """
            select c.x_BillingMonth, coalesce(d.name, c.x_DataSourceId), c.BillingCurrency,
                   sum(c.BilledCost), sum(c.EffectiveCost), sum(c.x_ChargeCount)
            from marts.costs_monthly as c
            left join marts.data_sources as d on d.data_source_id = c.x_DataSourceId
            group by all order by 1, 2, 3
            """
        ).fetchall()
        rejected = connection.execute(
            """
            select f.key, e.rule, e.column_name, e.error_count, f.first_error
            from marts.file_validation as f
            left join marts.validation_errors as e on e.key = f.key and e.etag = f.etag
            where f.status = 'rejected' order by 1, 2, 3
            """
        ).fetchall()
    parts = [
        "Monthly cost per sub-account (marts.costs_monthly):",
        _table(costs, ["month", "sub-account", "currency", "billed", "effective", "charges"]),
        "",
        "Rejected files (marts.file_validation, marts.validation_errors):",
        _table(rejected, ["file", "rule", "column", "rows", "first error"]) if rejected else "  none",
    ]
    return "\n".join(parts)


def run_demo(workdir: Path, database: Path | None, as_json: bool = False) -> int:
    """Regenerate the demo folder from scratch and run load + build on it."""
    from loader.cli import build_marts, render_summary  # imported late: the CLI imports this module

    today = datetime.now(UTC).date()
    data = workdir / "data"
    database = database or workdir / "focus.duckdb"
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(work_dir_for(database), ignore_errors=True)
    database.unlink(missing_ok=True)
    files = write_demo_tree(data, today)
    print(f"Generated {len(files)} sample files in {data}/ (months as of {today})", file=sys.stderr)

    settings = RunSettings(sources=(DataSource(name=DEMO_SOURCE, location=str(data.resolve())),), database=database)
    summary = run_load(settings)
    print(json.dumps(summary.as_dict(), indent=2, default=str) if as_json else render_summary(summary))
    built = build_marts(database, quiet=True)
    if not as_json:
        print()
        print(_marts_report(database))
        print()
        print(f"dbt build: {'all models and tests passed' if built else 'FAILED (see above)'}")
        query = f"import duckdb; print(duckdb.connect('{database}').sql('select * from marts.costs_monthly'))"
        print(f'Query it yourself: .venv/bin/python -c "{query}"')
    return 0 if built and not summary.failed else 1
