"""Every adapter-dispatched macro of macros/, run on DuckDB and on Spark over the same literal edge cases.

The house style puts engine-specific SQL behind adapter-dispatched macros and wants each branch run on its
own engine. This module generates a small dbt project (the repository's macros copied in, one model per
dispatched macro, one for the form checks built on them, and a seed for the Spark seed override
spark__load_csv_rows), builds it with the repository's profiles.yml
on the `local` target (DuckDB) and on the `spark` target (a local Spark session, one for the module), then
compares every model's rows between the engines: text-normalised, decimals by their exact digits and scale.
Where the engines differ on purpose, DIFFERENCES says so and why; a difference that is not listed fails,
and so does a listed one that no longer happens. PINNED holds the answers both engines must give, so that
agreeing on a wrong answer fails too.

CI installs Java and pyspark (.ci/run, the `spark` extra): without them this test fails, it never skips.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.adapters.duckdb.connections import DuckDBConnectionManager

from focus_ingest.dbt_build import project_dir

logger = logging.getLogger(__name__)

pytestmark = pytest.mark.slow  # starts Spark and runs dbt twice: `make test-fast` leaves it out

SCHEMA = "dispatch"
NEWLINE = "chr(10)"


def text(value: str) -> str:
    """An SQL expression for a text that both engines read alike: Spark's string literals take backslash
    escapes and read `''` as two literals, DuckDB's do neither, so quotes and backslashes go through chr()."""
    pieces = []
    for part in value.replace("\\", "\x00\\\x00").replace("'", "\x00'\x00").split("\x00"):
        if part in ("\\", "'"):
            pieces.append(f"chr({ord(part)})")
        elif part:
            pieces.append(f"'{part}'")
    if not pieces:
        return "''"
    return pieces[0] if len(pieces) == 1 else f"concat({', '.join(pieces)})"


def inputs(*rows: str | None) -> str:
    """A CTE `inputs (case_id, input_text)`: one row per text (an SQL expression; None for null)."""
    values = ",\n        ".join(f"({case_id}, {'null' if row is None else row})" for case_id, row in enumerate(rows, 1))
    return (
        "with inputs as (\n    select case_id, cast(input_text as {{ dbt.type_string() }}) as input_text\n"
        f"    from (values\n        {values}\n    ) as literal_rows (case_id, input_text)\n)\n"
    )


FOCUS_DATETIME = "[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z"
FOCUS_NUMBER = "-?[0-9]+([.][0-9]+)?([eE]-?[0-9]+)?"

REGEX_INPUTS = (
    text("2026-10-01T00:00:00Z"),
    text("2026-10-01T24:00:00Z"),
    text("x2026-10-01T00:00:00Z"),
    text("2026-10-01T00:00:00Zx"),
    f"concat('2026-10-01T00:00:00Z', {NEWLINE})",  # 5: Java's `$` matches before a final line break
    text("1.5e-3"),
    text("12x"),
    text(""),
    f"concat('1.5', {NEWLINE})",  # 9
    f"concat({NEWLINE}, '1.5')",
    text("ab"),
    text("a"),
    None,
)

NUMBER_AND_DATETIME_INPUTS = (
    text("1.5e-3"),
    text("123456789012345678901"),  # 2: 21 integer digits, does not fit decimal(38, 18)
    text("12345678901234567890"),
    text("0.1234567890123456789"),  # 4: 19 decimals, rounded
    text("1e400"),
    text("1E-18"),
    text("1e99999999999"),  # 7: exponent overflows an integer
    text("+5"),
    text(".5"),
    text("5."),
    text("1,5"),
    text("12x"),
    f"concat('1.5', {NEWLINE})",  # 13
    text("2026-10-01T00:00:00Z"),
    text("2026-10-01 00:00:00.5"),
    text("2026-10-01T00:00:00+00:00"),
    text("2026-10-01T24:00:00Z"),  # 17
    text("2026-10-01T00:00:00+01:00"),
    text("2026-10-01"),
    text(""),
    None,
)

TRY_CAST_INPUTS = (
    text("12"),
    text("12x"),
    text(" 12 "),
    text("2147483648"),  # 4: past integer
    text("123456789012345678901"),  # 5: 21 integer digits
    text("-99999999999999999999.999999999999999999"),
    text("1.5e-3"),
    text("0.1234567890123456785"),  # 8: half away from zero at the 18th decimal
    text("-0.1234567890123456785"),
    text("1e-19"),
    text("2026-10-01T00:00:00Z"),
    text("2026-10-01T24:00:00Z"),  # 12
    text("2026-10-01 00:00:00"),
    text("2026-10-01"),
    text("2026-10-01T00:00:00+00:00"),
    text("2026-10-01T00:00:00.123456Z"),
    text("2026-02-30T00:00:00Z"),
    text(""),
    None,
)

JSON_INPUTS = (
    text('{"a":1}'),
    text('{"a":1} trailing'),  # 2: design risk 14, every Spark JSON reader stops after the first value
    text("[1,2]"),
    text('"s"'),
    text("{bad"),
    text(""),
    text(' {"a":1} '),
    text("{}"),
    text("{'a':1}"),  # 9: single quotes, which Jackson allows by default
    text('{"a":1}}'),
    text('{"a":1},{"b":2}'),
    text('{"a":1}]'),
    text("{a:1}"),
    text('{"a":NaN}'),  # 14
    text('{"a":1,}'),  # 15
    text('{"a":01}'),
    text('{"a":1,"a":2}'),
    f"""concat('{{"a":"x', {NEWLINE}, 'y"}}')""",  # 18: a raw line break inside a string
    text('{"a":"\\u00e9"}'),
    text('{"a":{"b":[1,{"c":null}]}}'),
    None,
)

FLAT_INPUTS = (
    text('{"a":"1","b":2}'),
    text('{"a":{"b":1}}'),
    text('{"a":[1]}'),
    text("{}"),
    text('{"a":null}'),
    text('{"env":"[prod]"}'),  # 6: a string value that starts like an array is flat
    text('{"a":"{x"}'),
    text('{"a":true,"b":1.5,"c":"x"}'),
    text('{"a":[]}'),
)

FOCUS_JSON_INPUTS = (text('{"a": 1}'), text('{"b":"x","a":[1, 2]}'), text(' {"a":1} '), text('{"a":"é"}'), None)

UTC_INPUTS = (
    text("2026-10-01T00:00:00Z"),
    text("2026-12-31T23:59:59Z"),
    text("2026-10-01 00:00:00.5"),
    text("2026-03-29T01:30:00Z"),  # a wall-clock time that does not exist in Europe's summer-time change
    None,
)

SAMPLE_ROWS = """
    -- group, row number, value, issue?
    ('g1', 1, 'a', false), ('g1', 6, 'f', true), ('g1', 2, 'b', true), ('g1', 7, 'g', true),
    ('g1', 4, 'd', true), ('g1', 3, null, true), ('g1', 5, 'e', false),
    ('g2', 1, 'a', false), ('g2', 2, 'b', false),
    ('g3', 1, 'a', null),
    ('g4', 9, 'z', true)
"""

LISTAGG_ROWS = """
    ('g1', 'b'), ('g1', 'a'), ('g1', 'c'),
    ('g2', null), ('g2', null),
    ('g3', ''),
    ('g4', 'y'), ('g4', null), ('g4', 'x')
"""

MODELS: dict[str, str] = {
    "regex_full_match": inputs(*REGEX_INPUTS)
    + f"""
select
    case_id,
    input_text,
    {{{{ regex_full_match('input_text', '{FOCUS_DATETIME}') }}}} as is_focus_datetime,
    {{{{ regex_full_match('input_text', '{FOCUS_NUMBER}') }}}} as is_focus_number,
    {{{{ regex_full_match('input_text', 'a|ab') }}}} as is_a_or_ab
from inputs
""",
    # The form checks and decimal fits that int_focus__rows_parsed builds on regex_full_match and regexp_extract.
    "focus_forms": inputs(*NUMBER_AND_DATETIME_INPUTS)
    + """
select
    case_id,
    input_text,
    {{ focus_number_form('input_text') }} as number_form,
    {{ focus_datetime_form('input_text') }} as datetime_form,
    case when {{ focus_number_form('input_text') }} in ('focus', 'lenient')
        then {{ focus_number_exponent('input_text') }} end as number_exponent,
    case when {{ focus_number_form('input_text') }} in ('focus', 'lenient')
        then {{ focus_decimal_fits('input_text', 'integer') }} end as fits_integer_digits,
    case when {{ focus_number_form('input_text') }} in ('focus', 'lenient')
        then {{ focus_decimal_fits('input_text', 'scale') }} end as fits_scale
from inputs
""",
    "focus_try_cast": inputs(*TRY_CAST_INPUTS)
    + """
select
    case_id,
    input_text,
    {{ focus_try_cast('input_text', 'integer') }} as as_integer,
    {{ focus_try_cast('input_text', focus_decimal_type()) }} as as_decimal,
    {{ focus_try_cast('input_text', dbt.type_timestamp()) }} as as_timestamp
from inputs
""",
    "focus_utc_timestamp": inputs(*UTC_INPUTS)
    + """
select
    case_id,
    input_text,
    {{ focus_utc_timestamp(focus_try_cast('input_text', dbt.type_timestamp())) }} as utc_timestamp
from inputs
""",
    "is_json_object": inputs(*JSON_INPUTS)
    + """
select case_id, input_text, {{ is_json_object('input_text') }} as is_object
from inputs
""",
    "json_object_is_flat": inputs(*FLAT_INPUTS)
    + """
select case_id, input_text, {{ json_object_is_flat('input_text') }} as is_flat
from inputs
""",
    "focus_json": inputs(*FOCUS_JSON_INPUTS)
    + """
select case_id, {{ focus_json('input_text') }} as json_value
from inputs
""",
    "first_issue_samples": f"""
{{%- set samples = first_issue_samples('source_row_number', 'sample_value', 'is_issue', 3) -%}}
with issue_rows as (
    select group_id, source_row_number, cast(sample_value as {{{{ dbt.type_string() }}}}) as sample_value, is_issue
    from (values {SAMPLE_ROWS}) as literal_rows (group_id, source_row_number, sample_value, is_issue)
)
select
    group_id as case_id,
    {{{{ samples.row_numbers }}}} as sample_row_numbers,
    {{{{ samples['values'] }}}} as sample_values
from issue_rows
group by group_id
""",
    "issue_sample": """
select
    case_id,
    {%- for rank in range(1, 5) %}
    {{ issue_sample('sample_row_numbers', rank) }} as row_number_{{ rank }},
    {{ issue_sample('sample_values', rank) }} as value_{{ rank }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref('first_issue_samples') }}
""",
    "ordered_listagg": f"""
with listed_rows as (
    select group_id, cast(item as {{{{ dbt.type_string() }}}}) as item
    from (values {LISTAGG_ROWS}) as literal_rows (group_id, item)
)
select
    group_id as case_id,
    {{{{ ordered_listagg('item', "', '", 'item') }}}} as ascending_items,
    {{{{ ordered_listagg('item', "'|'", 'item', descending=true) }}}} as descending_items
from listed_rows
group by group_id
""",
    # Reads wide_view, configured by focus_wide_view_config: on Spark a view of that length fails to build.
    "focus_wide_view_config": """
select
    case_id,
    column_0001,
    column_1200,
    {{ dbt.length('wide_text') }} as wide_text_length
from {{ ref('wide_view') }}
""",
}

# Models the project reads only through another model of MODELS (so not read directly by the test).
# wide_view's compiled SQL is over 32,700 characters, the most a view's text may have in Spark's embedded
# Derby metastore (as int_focus__rows_parsed, ~150 KB).
WIDE_VIEW_COLUMNS = 1200
INNER_MODELS: dict[str, str] = {
    "wide_view": f"""
{{{{ config(**focus_wide_view_config()) }}}}
select
    1 as case_id,
    {{%- for index in range(1, {WIDE_VIEW_COLUMNS} + 1) %}}
    'value {{{{ index }}}}' as column_{{{{ '%04d' % index }}}},
    {{%- endfor %}}
    '{{{{ 'x' * 40000 }}}}' as wide_text
"""
}


# A seed, which dbt-spark loads through macros/spark__load_csv_rows.sql on Spark: a quote, a backslash, an
# empty cell, a comma and a doubled quote inside quotes, a decimal with 18 places, booleans.
SEED_CSV = (
    "case_id,label,amount,flag,note\n"
    "1,it's,1.500000000000000001,true,\n"
    '2,back\\slash,-99999999999999999999.999999999999999999,false,"quoted, comma"\n'
    '3,,0,,"He said ""hi"""\n'
)
SEED = "seed_literals"
RELATIONS = [*MODELS, SEED]


@dataclass(frozen=True)
class Difference:
    """A cell the engines compute differently on purpose: both values, and why it is accepted."""

    duckdb: Any
    spark: Any
    why: str


UNREACHABLE_24H = (
    "DuckDB reads hour 24 as the next day's 00:00, Spark gives null. Unreachable in the project: "
    "focus_datetime_form calls 24:00:00 invalid before any cast"
)
DECIMAL_TEXT_AS_INTEGER = (
    "DuckDB's integer cast reads a decimal or E-notation text and rounds it, Spark's gives null. Unreachable "
    "in the project: focus_number_exponent casts only the digits after the E"
)
DIFFERENCES: dict[tuple[str, object, str], Difference] = {
    ("focus_try_cast", 12, "as_timestamp"): Difference("2026-10-02 00:00:00", None, UNREACHABLE_24H),
    ("focus_try_cast", 7, "as_integer"): Difference("0", None, DECIMAL_TEXT_AS_INTEGER),
    ("focus_try_cast", 8, "as_integer"): Difference("0", None, DECIMAL_TEXT_AS_INTEGER),
    ("focus_try_cast", 9, "as_integer"): Difference("0", None, DECIMAL_TEXT_AS_INTEGER),
    ("focus_try_cast", 10, "as_integer"): Difference("0", None, DECIMAL_TEXT_AS_INTEGER),
    ("is_json_object", 14, "is_object"): Difference(
        "true", "false", "DuckDB's json_valid accepts NaN; JSON (RFC 8259) has no NaN, and Spark's check follows it"
    ),
    ("is_json_object", 15, "is_object"): Difference(
        "true", "false", "DuckDB's json_valid accepts a trailing comma; JSON does not, nor does Spark's check"
    ),
    ("first_issue_samples", "g2", "sample_row_numbers"): Difference(
        None, [], "no issue: DuckDB's min_by(.., n) gives null, Spark's collect_list an empty list. "
        "first_issue_samples documents both; issue_sample reads null from either"
    ),
    ("first_issue_samples", "g2", "sample_values"): Difference(None, [], "as sample_row_numbers"),
    ("first_issue_samples", "g3", "sample_row_numbers"): Difference(None, [], "a null condition is no issue"),
    ("first_issue_samples", "g3", "sample_values"): Difference(None, [], "as sample_row_numbers"),
}
# Answers both engines must give (a normalised value; None for null); never a key of DIFFERENCES.
PINNED: dict[tuple[str, object, str], Any] = {
    ("regex_full_match", 1, "is_focus_datetime"): "true",
    ("regex_full_match", 2, "is_focus_datetime"): "false",
    ("regex_full_match", 4, "is_focus_datetime"): "false",
    ("regex_full_match", 5, "is_focus_datetime"): "false",
    ("regex_full_match", 9, "is_focus_number"): "false",
    ("regex_full_match", 10, "is_focus_number"): "false",
    ("regex_full_match", 11, "is_a_or_ab"): "true",
    ("regex_full_match", 12, "is_a_or_ab"): "true",
    ("regex_full_match", 13, "is_focus_number"): None,
    ("focus_forms", 2, "fits_integer_digits"): "false",
    ("focus_forms", 3, "fits_integer_digits"): "true",
    ("focus_forms", 4, "fits_scale"): "false",
    ("focus_forms", 7, "number_exponent"): None,
    ("focus_forms", 13, "number_form"): "invalid",
    ("focus_forms", 16, "datetime_form"): "lenient",
    ("focus_forms", 17, "datetime_form"): "invalid",
    ("focus_forms", 18, "datetime_form"): "invalid",
    ("focus_try_cast", 2, "as_integer"): None,
    ("focus_try_cast", 3, "as_integer"): "12",
    ("focus_try_cast", 4, "as_integer"): None,
    ("focus_try_cast", 5, "as_decimal"): None,
    ("focus_try_cast", 6, "as_decimal"): "-99999999999999999999.999999999999999999",
    ("focus_try_cast", 7, "as_decimal"): "0.001500000000000000",
    ("focus_try_cast", 8, "as_decimal"): "0.123456789012345679",
    ("focus_try_cast", 9, "as_decimal"): "-0.123456789012345679",
    ("focus_try_cast", 10, "as_decimal"): "0E-18",
    ("focus_try_cast", 11, "as_timestamp"): "2026-10-01 00:00:00",
    ("focus_try_cast", 17, "as_timestamp"): None,
    ("focus_utc_timestamp", 4, "utc_timestamp"): "2026-03-29 01:30:00",
    ("is_json_object", 1, "is_object"): "true",
    ("is_json_object", 2, "is_object"): "false",
    ("is_json_object", 3, "is_object"): "false",
    ("is_json_object", 5, "is_object"): "false",
    ("is_json_object", 6, "is_object"): "false",
    ("is_json_object", 7, "is_object"): "true",
    ("is_json_object", 8, "is_object"): "true",
    ("is_json_object", 9, "is_object"): "false",
    ("is_json_object", 10, "is_object"): "false",
    ("is_json_object", 11, "is_object"): "false",
    ("is_json_object", 12, "is_object"): "false",
    ("is_json_object", 13, "is_object"): "false",
    ("is_json_object", 16, "is_object"): "false",
    ("is_json_object", 17, "is_object"): "true",
    ("is_json_object", 18, "is_object"): "false",
    ("is_json_object", 19, "is_object"): "true",
    ("is_json_object", 20, "is_object"): "true",
    ("is_json_object", 21, "is_object"): "false",
    ("json_object_is_flat", 1, "is_flat"): "true",
    ("json_object_is_flat", 2, "is_flat"): "false",
    ("json_object_is_flat", 3, "is_flat"): "false",
    ("json_object_is_flat", 6, "is_flat"): "true",
    ("json_object_is_flat", 7, "is_flat"): "true",
    ("first_issue_samples", "g1", "sample_row_numbers"): ["2", "3", "4"],
    ("first_issue_samples", "g1", "sample_values"): ["b", None, "d"],
    ("issue_sample", "g1", "value_2"): None,
    ("issue_sample", "g1", "row_number_3"): "4",
    ("issue_sample", "g1", "row_number_4"): None,
    ("issue_sample", "g2", "row_number_1"): None,
    ("issue_sample", "g4", "value_1"): "z",
    ("ordered_listagg", "g1", "ascending_items"): "a, b, c",
    ("ordered_listagg", "g1", "descending_items"): "c|b|a",
    ("ordered_listagg", "g2", "ascending_items"): None,
    ("ordered_listagg", "g3", "ascending_items"): "",
    ("ordered_listagg", "g4", "ascending_items"): "x, y",
    ("focus_wide_view_config", 1, "column_0001"): "value 1",
    ("focus_wide_view_config", 1, "column_1200"): "value 1200",
    ("focus_wide_view_config", 1, "wide_text_length"): "40000",
    (SEED, 1, "label"): "it's",
    (SEED, 1, "amount"): "1.500000000000000001",
    (SEED, 1, "note"): None,
    (SEED, 2, "label"): "back\\slash",
    (SEED, 2, "amount"): "-99999999999999999999.999999999999999999",
    (SEED, 2, "flag"): "false",
    (SEED, 2, "note"): "quoted, comma",
    (SEED, 3, "label"): None,
    (SEED, 3, "flag"): None,
    (SEED, 3, "note"): 'He said "hi"',
}


def normalised(value: Any) -> Any:
    """A cell as text both engines can be compared on: decimals with their exact digits and scale,
    timestamps as UTC wall-clock text (the project's timestamps hold UTC: DuckDB's TIMESTAMPTZ comes back
    aware, its TIMESTAMP naive; _spark_rows turns Spark's instants into UTC first), booleans as SQL spells
    them, lists element by element."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return str(value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value)
    if isinstance(value, list | tuple):
        return [normalised(item) for item in value]
    return str(value)


def _fail_without_spark() -> None:
    missing = []
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as error:
        missing.append(f"{error.name} (pip install -e '.[test,spark]', as the Makefile does)")
    if shutil.which("java") is None:
        missing.append("java (Java 17: apt-get install openjdk-17-jre-headless, as .ci/run does)")
    if missing:
        pytest.fail("The Spark branch of the dispatched macros cannot be tested: missing " + "; ".join(missing))


def _project(root: Path) -> Path:
    project = root / "dispatch_project"
    shutil.copytree(project_dir() / "macros", project / "macros")
    shutil.copy(project_dir() / "profiles.yml", project / "profiles.yml")
    # The name is the real project's, so that adapter.dispatch(name, 'focus_ingest') finds the copied macros.
    (project / "dbt_project.yml").write_text(
        "name: focus_ingest\nversion: '0.1.0'\nconfig-version: 2\nprofile: focus_ingest\n"
        "model-paths: [models]\nmacro-paths: [macros]\nseed-paths: [seeds]\n"
        f"models:\n  focus_ingest:\n    +schema: {SCHEMA}\n    +materialized: table\n"
        f"seeds:\n  focus_ingest:\n    +schema: {SCHEMA}\n"
        f"    {SEED}:\n      +column_types: {{amount: 'decimal(38, 18)', label: string, note: string}}\n"
        "flags:\n  send_anonymous_usage_stats: false\n",
        encoding="utf-8",
    )
    (project / "models").mkdir()
    for name, sql in {**MODELS, **INNER_MODELS}.items():
        (project / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    (project / "seeds").mkdir()
    (project / "seeds" / f"{SEED}.csv").write_text(SEED_CSV, encoding="utf-8")
    return project


def _build(project: Path, target: str) -> None:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            "build",
            *("--project-dir", str(project), "--profiles-dir", str(project), "--target", target),
            *("--target-path", str(project / f"target-{target}"), "--log-path", str(project / f"logs-{target}")),
        ]
    )
    assert result.success, f"dbt build --target {target} failed: {result.exception or 'see the log above'}"


Rows = dict[str, dict[object, dict[str, Any]]]


@dataclass(frozen=True)
class Built:
    duckdb: Rows
    spark: Rows
    spark_ansi: Rows  # the models' compiled SQL run again on Spark with ANSI mode on


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    _fail_without_spark()
    root = tmp_path_factory.mktemp("dispatch")
    project = _project(root)
    database = root / "local.duckdb"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FOCUS_INGEST_DATABASE", str(database))
        env.setenv("FOCUS_INGEST_SPARK_DIR", str(root / "spark"))
        env.setenv("SPARK_LOCAL_IP", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
        env.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        env.chdir(root)  # anything a library still writes into the working directory stays in tmp
        started = time.monotonic()
        _build(project, "local")
        DuckDBConnectionManager.close_all_connections()
        with duckdb.connect(str(database), read_only=True) as connection:
            duckdb_rows = {name: _duckdb_rows(connection, name) for name in RELATIONS}
        duckdb_done = time.monotonic()
        _build(project, "spark")
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()  # dbt-spark's session: it stays up after the build
        try:
            spark_rows = {name: _spark_rows(spark, name) for name in RELATIONS}
            # dbt-spark forces ANSI mode off, a Thrift server may have it on (risk 6): the same SQL must
            # neither fail nor change a value there.
            spark.conf.set("spark.sql.ansi.enabled", "true")
            compiled = project / "target-spark" / "compiled" / "focus_ingest" / "models"
            ansi_rows = {
                name: _spark_rows(spark, name, (compiled / f"{name}.sql").read_text(encoding="utf-8"))
                for name in MODELS
            }
        finally:
            spark.stop()
        logger.info("dispatch macros built and read: DuckDB %.1f s, Spark %.1f s", duckdb_done - started,
                    time.monotonic() - duckdb_done)
    yield Built(duckdb=duckdb_rows, spark=spark_rows, spark_ansi=ansi_rows)


def _keyed(columns: list[str], records: list[tuple[Any, ...]]) -> dict[object, dict[str, Any]]:
    return {record[0]: dict(zip(columns, map(normalised, record), strict=True)) for record in records}


def _duckdb_rows(connection: duckdb.DuckDBPyConnection, model: str) -> dict[object, dict[str, Any]]:
    # JSON values as their text: DuckDB's Python client would parse them into dicts.
    relation = connection.sql(f"select * from {SCHEMA}.{model}")
    columns = [
        f"cast({name} as varchar) as {name}" if str(kind) == "JSON" else name
        for name, kind in zip(relation.columns, relation.types, strict=True)
    ]
    cursor = connection.execute(f"select {', '.join(columns)} from {SCHEMA}.{model}")
    return _keyed(relation.columns, cursor.fetchall())


def _spark_rows(spark: Any, model: str, query: str | None = None) -> dict[object, dict[str, Any]]:
    from pyspark.sql.types import TimestampType

    frame = spark.sql(query or f"select * from {SCHEMA}.{model}")
    # pyspark hands a Spark TIMESTAMP (an instant) over as a naive datetime in Python's local zone.
    instants = [isinstance(field.dataType, TimestampType) for field in frame.schema.fields]
    records = [
        tuple(
            dt.datetime.fromtimestamp(value.timestamp(), dt.UTC) if instant and value is not None else value
            for value, instant in zip(row, instants, strict=True)
        )
        for row in frame.collect()
    ]
    return _keyed(frame.columns, records)


@pytest.mark.parametrize("model", RELATIONS)
def test_spark_branch_gives_duckdbs_rows(built: Built, model: str) -> None:
    duckdb_rows, spark_rows = built.duckdb[model], built.spark[model]
    assert duckdb_rows, f"{model}: no rows on DuckDB"
    assert sorted(map(str, spark_rows)) == sorted(map(str, duckdb_rows)), f"{model}: not the same cases"
    unexpected, seen = [], set()
    for case_id, duckdb_row in duckdb_rows.items():
        spark_row = spark_rows[case_id]
        assert list(spark_row) == list(duckdb_row), f"{model}: not the same columns"
        for column, duckdb_value in duckdb_row.items():
            key = (model, case_id, column)
            spark_value = spark_row[column]
            if key in DIFFERENCES:
                seen.add(key)
                expected = DIFFERENCES[key]
                assert (duckdb_value, spark_value) == (expected.duckdb, expected.spark), (
                    f"{key}: the known difference ({expected.why}) changed"
                )
            elif duckdb_value != spark_value:
                unexpected.append(f"{key} input {duckdb_row.get('input_text')!r}: DuckDB {duckdb_value!r}, "
                                  f"Spark {spark_value!r}")
            if key in PINNED:
                for engine, value in (("DuckDB", duckdb_value), ("Spark", spark_value)):
                    assert value == PINNED[key], f"{key} on {engine}: {value!r}, expected {PINNED[key]!r}"
    assert not unexpected, "the engines differ:\n" + "\n".join(unexpected)
    assert seen == {key for key in DIFFERENCES if key[0] == model}, "a listed difference names no cell"
    assert not {key for key in seen if key in PINNED}, "a cell is pinned and listed as a difference"


@pytest.mark.parametrize("model", list(MODELS))
def test_spark_branch_is_the_same_with_ansi_mode_on(built: Built, model: str) -> None:
    assert built.spark_ansi[model] == built.spark[model]


def test_every_dispatched_macro_is_exercised() -> None:
    """A new adapter-dispatched macro needs its model here, or its Spark branch runs nowhere."""
    dispatched = {
        path.stem
        for path in (project_dir() / "macros").glob("*.sql")
        if "adapter.dispatch(" in path.read_text(encoding="utf-8")
    }
    not_in_the_project = {"focus_incremental_config", "vacuum_superseded", "delete_superseded_validations"}
    # the on-run-start hook of every build, so its Spark branch runs in every Spark build here (it does
    # nothing without var('lake')); over a lake test_spark_parity.py runs the Spark branch, test_lake.py DuckDB's
    hooks = {"register_raw_relations"}
    assert dispatched - not_in_the_project - hooks - set(MODELS) == set()
