"""Reading one CSV file (plain or gzip) into Arrow record batches of text, with lineage columns.

DuckDB's CSV reader does the parsing: it is the fastest reader available here, streams in bounded
memory, decompresses gzip, and reports the line of a malformed record. Every value stays text exactly as
written (empty fields stay `''`); typing and FOCUS rules are dbt's job. The header is read first, in
Python, so that column names are checked (empty, duplicate) and kept exactly as the producer wrote them.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gzip
import io
import re
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from focus_ingest.errors import ConfigError, FocusIngestError
from focus_ingest.settings import DEFAULT_MEMORY_LIMIT, parse_size
from focus_ingest.state import single_row

if TYPE_CHECKING:
    from dlt.common.normalizers.naming.snake_case import NamingConvention

HEADER_LIMIT_BYTES = 1024 * 1024
# DuckDB's two reading threads hold a few read blocks each: a 32 MiB block failed under a 64 MB limit and
# read under 100 MB (measured); this many blocks is the least memory a read may have.
READ_BLOCKS_IN_MEMORY = 4
INFLATE_CHUNK_BYTES = 4 * 1024 * 1024
MIN_READ_BLOCK_BYTES = 64 * 1024
# A byte that cannot occur in a valid UTF-8 CSV value, so that no real value is read as SQL NULL.
_NO_NULL_MARKER = "\x00"
_known_column_keys: dict[str, str] = {}  # header name -> dlt's key, see remember_column_keys


class UnreadableFile(Exception):
    """The file is not a readable CSV; `reason` says why in words, `line` where (when known)."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason if line is None else f"{reason} (line {line})")
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class ReadOptions:
    """Knobs of the load: rows per Arrow batch, DuckDB's memory (reading and inserting), threads, read block.

    DuckDB sizes its read block at 16 times the longest record allowed unless told: with 64 MiB records that
    is a 1 GiB block, which a 512 MB memory limit cannot hold and which leaves one thread reading.
    """

    batch_rows: int = 100_000
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int = 2
    max_file_bytes: int = 20 * 1024**3  # uncompressed; stops gzip bombs
    max_file_rows: int = 100_000_000
    max_record_bytes: int = 16 * 1024**2  # one record, quoted newlines included (a 10 MB Tags value passes)
    read_block_bytes: int = 64 * 1024**2  # DuckDB's CSV buffer_size; each reading thread holds a few
    # Downloads under way at once: S3 answers each GET after tens of milliseconds, so thousands of small
    # files fetched one by one would wait minutes; a few large ones are bound by bandwidth either way.
    max_concurrent_fetches: int = 16

    def __post_init__(self) -> None:
        if self.max_concurrent_fetches < 1:
            raise ConfigError(f"--max-concurrent-fetches must be at least 1, got {self.max_concurrent_fetches}.")
        memory = parse_size(self.memory_limit)
        if memory < READ_BLOCKS_IN_MEMORY * self.read_block_bytes:
            raise ConfigError(
                f"--memory-limit {self.memory_limit} cannot hold DuckDB's read blocks: give it at least "
                f"{READ_BLOCKS_IN_MEMORY} times --read-block-bytes ({self.read_block_bytes:,} bytes), or lower that."
            )
        if self.read_block_bytes < self.max_record_bytes:
            raise ConfigError(
                f"The read block ({self.read_block_bytes:,} bytes, --read-block-bytes) must be at least the "
                f"longest record accepted ({self.max_record_bytes:,} bytes, --max-record-bytes)."
            )


@dataclass(frozen=True)
class Lineage:
    """Where the rows of a file version come from; stamped on every row."""

    data_source: str
    key: str
    etag: str
    billing_month: str
    run_id: str


def column_key(name: str) -> str:
    """The raw-table column of a header name: dlt's snake_case, the same dlt applies when loading."""
    known = _known_column_keys.get(name)
    return known if known is not None else _snake_case().normalize_identifier(name)


def remember_column_keys(keys: dict[str, str]) -> None:
    """Keys dlt computed earlier (the validation cache's, for every FOCUS column and alias): `validate` reads a
    FOCUS file without importing dlt, ~0.5 s of its start (`python -X importtime`, BENCHMARKS.md)."""
    _known_column_keys.update(keys)


@functools.cache
def _snake_case() -> NamingConvention:
    # Imported on the first name not remembered: importing dlt costs ~0.5 s, which `validate` need not pay.
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return NamingConvention()


def _decode_header(head: bytes) -> str:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(head, final=len(head) < HEADER_LIMIT_BYTES)
    except UnicodeDecodeError as error:
        line = head[: error.start].count(b"\n") + 1
        raise UnreadableFile("not UTF-8 encoded: save the file as UTF-8", line) from None


@contextlib.contextmanager
def plain_csv(path: Path, is_gzip: bool, options: ReadOptions, scratch: Path) -> Iterator[Path]:
    """The file as plain CSV, within the per-file size limit; gzip is inflated into a scratch file.

    Inflating here (in bounded chunks) rather than in the CSV reader stops a gzip bomb at the limit, and
    lets DuckDB read the plain file with all its threads (it reads a gzip stream with one).
    """
    limit = options.max_file_bytes
    if not is_gzip:
        if path.stat().st_size > limit:
            raise UnreadableFile(f"the file is larger than the per-file limit of {limit:,} bytes (--max-file-bytes)")
        yield path
        return
    with tempfile.NamedTemporaryFile(dir=scratch, suffix=".csv") as plain:
        written = 0
        try:
            with gzip.open(path, "rb") as compressed:
                while chunk := compressed.read(INFLATE_CHUNK_BYTES):
                    written += len(chunk)
                    if written > limit:
                        raise UnreadableFile(
                            f"uncompressed, the file exceeds the per-file limit of {limit:,} bytes (--max-file-bytes)"
                        )
                    plain.write(chunk)
        except (OSError, EOFError, zlib.error) as error:
            raise UnreadableFile(f"corrupt or truncated gzip data ({error})") from None
        plain.flush()
        yield Path(plain.name)


def read_header(path: Path) -> list[str]:
    """The column names of a plain CSV file, validated: none empty, none the same column twice."""
    with path.open("rb") as stream:
        head = stream.read(HEADER_LIMIT_BYTES)
    if not head.strip():
        raise UnreadableFile("empty file: no header line" if not head else "no header line (only blank space)", 1)
    text = _decode_header(head).removeprefix("\ufeff")
    if "\n" not in text and len(head) >= HEADER_LIMIT_BYTES:
        raise UnreadableFile(f"header line longer than {HEADER_LIMIT_BYTES} bytes", 1)
    try:
        names = next(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as error:
        raise UnreadableFile(f"malformed header: {error}", 1) from None
    return _validated_names(names)


def _validated_names(names: list[str]) -> list[str]:
    if len(names) == 1 and names[0].count(";") > 0:
        raise UnreadableFile(
            "the header has one column and contains ';': the file looks semicolon-delimited; "
            "FOCUS files are comma-separated",
            1,
        )
    seen: dict[str, str] = {}
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise UnreadableFile(f"column {position} of the header has an empty name", 1)
        key = column_key(name)
        if key.startswith("_ingest_"):
            raise UnreadableFile(f"column name {name!r} is reserved for focus-ingest lineage", 1)
        if key in seen:
            same = "twice" if seen[key] == name else f"as {seen[key]!r} and {name!r}"
            raise UnreadableFile(f"duplicate column name: {name!r} appears {same}", 1)
        seen[key] = name
    return names


_LINE_OF_ERROR = re.compile(r"CSV Error on Line: (\d+)")
_FIELD_COUNT = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_RECORD_TOO_LONG = re.compile(r"Maximum line size of (\d+) bytes exceeded")


def _reason_of_duckdb_error(message: str) -> UnreadableFile:
    """Translate DuckDB's CSV error text into a short reason and a line number."""
    line_match = _LINE_OF_ERROR.search(message)
    line = int(line_match[1]) if line_match else None
    counts = _FIELD_COUNT.search(message)
    lowered = message.lower()
    too_long = _RECORD_TOO_LONG.search(message)
    if counts:
        reason = f"a record has {counts[2]} fields where the header has {counts[1]} (ragged row)"
    elif too_long:
        reason = f"a record is longer than the limit of {int(too_long[1]):,} bytes (--max-record-bytes)"
    elif "unterminated quote" in lowered:
        reason = "a quoted value is never closed (unterminated quote)"
    elif "unicode" in lowered or "utf-8" in lowered or "utf8" in lowered:
        reason = "not UTF-8 encoded: save the file as UTF-8"
    elif "gzip" in lowered or "zlib" in lowered or "inflate" in lowered:
        reason = "corrupt or truncated gzip data"
    else:
        reason = message.strip().splitlines()[0]
    return UnreadableFile(reason, line)


ROW_NUMBER_COLUMN = "_ingest_row_number"


def lineage_values(lineage: Lineage) -> dict[str, str]:
    """The lineage columns stamped on every row of a file version (besides its row number)."""
    return {
        "_ingest_data_source": lineage.data_source,
        "_ingest_key": lineage.key,
        "_ingest_etag": lineage.etag,
        "_ingest_billing_month": lineage.billing_month,
        "_ingest_run_id": lineage.run_id,
    }


def _read_csv_sql(column_count: int) -> str:
    """DuckDB's scan of plain CSV files: header skipped, columns c0, c1, ... as text, strict parsing."""
    positional = ", ".join(f"'c{index}': 'VARCHAR'" for index in range(column_count))
    return (
        "select * from read_csv($path, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"strict_mode = true, null_padding = false, auto_detect = false, columns = {{{positional}}}, "
        "nullstr = $null_marker, compression = 'none', max_line_size = $max_line_size, "
        "buffer_size = $buffer_size, filename = $filename)"
    )


def _read_csv_params(paths: str | list[str], block: int, options: ReadOptions, filename: bool) -> dict[str, object]:
    return {
        "path": paths,
        "null_marker": _NO_NULL_MARKER,
        "max_line_size": min(options.max_record_bytes, block),
        "buffer_size": block,
        "filename": filename,
    }


def insert_rows(
    connection: duckdb.DuckDBPyConnection, table: str, path: Path, names: list[str], lineage: Lineage,
    options: ReadOptions,
) -> int:  # fmt: skip
    """Read the file straight into `table` (which has every column), as `CsvReader.batches` yields it; the row
    count.

    For readers that need no Arrow hand-off (validate): DuckDB scans the file into the table in one
    statement, so a malformed record inserts nothing. Raises `UnreadableFile` like `CsvReader.batches`.
    """
    keys = [column_key(name) for name in names]
    constant = lineage_values(lineage)
    targets = ", ".join(f'"{name}"' for name in [*keys, *constant, ROW_NUMBER_COLUMN])
    values = ", ".join(
        [f"c{index}" for index in range(len(names))]
        + [f"${name}" for name in constant]
        + ["row_number() over ()"]  # streamed in file order: 1 = first data record
    )
    statement = (
        f"insert into {table} ({targets}) select {values} from ({_read_csv_sql(len(names))}) "
        f"limit {options.max_file_rows + 1}"
    )
    parameters = _read_csv_params(str(path), read_block_for(path.stat().st_size, options), options, False)
    try:
        (rows,) = single_row(connection.execute(statement, {**parameters, **constant}))
    except duckdb.OutOfMemoryException as error:
        raise _out_of_memory(error, options) from None
    except duckdb.Error as error:
        raise _reason_of_duckdb_error(str(error)) from None
    if rows > options.max_file_rows:
        connection.execute(
            f"delete from {table} where _ingest_key = $key and _ingest_run_id = $run",
            {"key": lineage.key, "run": lineage.run_id},
        )
        raise UnreadableFile(
            f"the file has more than {options.max_file_rows:,} records, the per-file limit (--max-file-rows)"
        )
    return int(rows)


class CsvReader:
    """Reads the files of one run through one DuckDB connection, opened on first use.

    Opening a connection costs ~17 ms (measured, BENCHMARKS.md): with thousands of small files a month that
    was most of a run. After a file fails, the connection is replaced, so that nothing of a broken read
    (an open result, a half-consumed scan) can touch the next file.
    """

    def __init__(self, options: ReadOptions) -> None:
        self.options = options
        self._connection: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> CsvReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connected(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self._connection = duckdb.connect(
                config={"memory_limit": self.options.memory_limit, "threads": self.options.threads}
            )
        return self._connection

    def batches(self, path: Path, names: list[str], lineage: Lineage) -> Iterator[pa.RecordBatch]:
        """Stream the file's records as Arrow batches: one text column per header name plus the lineage.

        Raises `UnreadableFile` as soon as a malformed record is met; the caller discards what it received.
        """
        finished = False
        try:
            yield from self._batches(path, names, lineage)
            finished = True
        finally:
            if not finished:  # an error, or the consumer stopped half-way: start the next file afresh
                self.close()

    def read_together(self, files: Sequence[tuple[Path, Lineage]], names: list[str]) -> list[pa.RecordBatch] | None:
        """Each file's rows (with lineage) from one DuckDB scan of several small files with the same header.

        DuckDB's cost of a scan is mostly per query, not per row: one scan of 64 three-row files takes a
        third of the time of 64 scans (measured, BENCHMARKS.md). Returns None when the scan fails or a
        file is over a per-file limit: the caller then reads the files one by one, which says which file
        is bad and at which line, exactly as for a file read alone.
        """
        paths = [str(path) for path, _ in files]
        largest = max(path.stat().st_size for path, _ in files)
        try:
            table = self._scan(paths, len(names), read_block_for(largest, self.options), filename=True).to_arrow_table()
        except (duckdb.Error, pa.ArrowException, OSError):
            self.close()
            return None
        runs = pc.run_end_encode(table.column("filename").combine_chunks())
        run_ends = runs.run_ends.to_pylist()
        run_files = runs.values.to_pylist()
        data = table.drop_columns(["filename"])
        rows = pa.RecordBatch.from_arrays([column.combine_chunks() for column in data.columns], names=data.column_names)
        batches: list[pa.RecordBatch] = []
        start = 0
        run = 0
        for (_, lineage), name in zip(files, paths, strict=True):
            end = start
            if run < len(run_files) and run_files[run] == name:
                end = run_ends[run]
                run += 1
            count = end - start
            if count > self.options.max_file_rows:
                return None
            batches.append(_with_lineage(names, lineage, rows.slice(start, count), 0))
            start = end
        if run != len(run_files):  # rows of a file not where the scan order puts them: trust nothing
            return None
        return batches

    def _scan(self, paths: str | list[str], columns: int, block: int, filename: bool) -> duckdb.DuckDBPyRelation:
        return self._connected().sql(
            _read_csv_sql(columns), params=_read_csv_params(paths, block, self.options, filename)
        )

    def _batches(self, path: Path, names: list[str], lineage: Lineage) -> Iterator[pa.RecordBatch]:
        options = self.options
        try:
            relation = self._scan(str(path), len(names), read_block_for(path.stat().st_size, options), filename=False)
            reader = relation.to_arrow_reader(options.batch_rows)
            rows_before = 0
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except duckdb.OutOfMemoryException as error:
                    raise _out_of_memory(error, options) from None
                except (duckdb.Error, pa.ArrowException, OSError) as error:
                    raise _reason_of_duckdb_error(str(error)) from None
                if rows_before + batch.num_rows > options.max_file_rows:
                    raise UnreadableFile(
                        f"the file has more than {options.max_file_rows:,} records, the per-file limit "
                        "(--max-file-rows)"
                    )
                yield _with_lineage(names, lineage, batch, rows_before)
                rows_before += batch.num_rows
        except duckdb.OutOfMemoryException as error:
            raise _out_of_memory(error, options) from None
        except duckdb.Error as error:
            raise _reason_of_duckdb_error(str(error)) from None


def _with_lineage(names: list[str], lineage: Lineage, rows: pa.RecordBatch, rows_before: int) -> pa.RecordBatch:
    """The header's columns under their raw-table names, then the lineage and each record's number."""
    count = rows.num_rows
    constant = lineage_values(lineage)
    arrays = [*rows.columns, *(pa.repeat(pa.scalar(value, pa.string()), count) for value in constant.values())]
    arrays.append(pa.array(range(rows_before + 1, rows_before + count + 1), pa.int64()))
    return pa.RecordBatch.from_arrays(
        arrays, names=[*(column_key(name) for name in names), *constant, ROW_NUMBER_COLUMN]
    )


def read_block_for(file_bytes: int, options: ReadOptions) -> int:
    """DuckDB's read block for a plain file of this size: the file itself when smaller than the block.

    A record cannot be longer than its file, so a block the size of a small file loses nothing, and DuckDB
    need not set aside `--read-block-bytes` for a file of a few kilobytes.
    """
    return min(options.read_block_bytes, max(MIN_READ_BLOCK_BYTES, file_bytes + 1))


def _out_of_memory(error: duckdb.OutOfMemoryException, options: ReadOptions) -> FocusIngestError:
    """Running out of memory says nothing about the file: the run fails, and the file is read again next time."""
    first_line = str(error).strip().splitlines()[0]
    return FocusIngestError(
        f"DuckDB ran out of memory while reading ({first_line}) with --memory-limit {options.memory_limit} and "
        f"--read-block-bytes {options.read_block_bytes:,}: raise the first or lower the second."
    )
