"""Optional clean-up of the DuckDB raw layer: remove the rows that no longer count, to keep the file small.

Nothing depends on it for correctness: every model reads only the rows of current loaded versions, joined
on their load id (int_focus__current_rows), so removing the others changes no mart. It removes, per data
source, the rows of `raw.focus_rows` and `raw.file_columns` that belong to no current `loaded` version
(replaced, deleted, re-read, rejected half-way) and whose load either completed or is older than the data
source's newest completed load: a load still missing from `_dlt_loads` but newer may be a package that the
next run finishes, so its rows stay. The events are kept: they are the history.
"""

from __future__ import annotations

import logging

import duckdb

from focus_ingest.known_versions import FILE_STATUSES_SQL, has_event_log
from focus_ingest.raw_tables import COLUMNS_TABLE
from focus_ingest.state import LOADS_TABLE, RAW_SCHEMA, ROWS_TABLE, single_row

logger = logging.getLogger(__name__)

# (table, its data source, key and etag columns)
_TABLES = (
    (ROWS_TABLE, "_ingest_data_source", "_ingest_key", "_ingest_etag"),
    (COLUMNS_TABLE, "data_source", "key", "etag"),
)


def _has_rows_that_do_not_count(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the tables hold more rows than the current loaded versions count (their rows are complete):
    row counts are cheap, the anti-join of every raw row is not (most runs have nothing to remove)."""
    (raw_rows, raw_columns, counted_rows, counted_columns) = single_row(
        connection.execute(
            f"""
            select
                (select count(*) from {RAW_SCHEMA}.{ROWS_TABLE}),
                (select count(*) from {RAW_SCHEMA}.{COLUMNS_TABLE}),
                coalesce(sum(row_count), 0),
                coalesce(sum(json_array_length(header)), 0)
            from ({FILE_STATUSES_SQL}) where status = 'loaded'
            """
        )
    )
    return bool(raw_rows != counted_rows or raw_columns != counted_columns)


def remove_rows_that_do_not_count(connection: duckdb.DuckDBPyConnection) -> int:
    """Delete them in one transaction; returns how many rows of raw.focus_rows went."""
    if not has_event_log(connection) or not _has_rows_that_do_not_count(connection):
        return 0
    removed_rows = 0
    connection.execute("begin transaction")
    try:
        for table, data_source, key, etag in _TABLES:
            (removed,) = single_row(
                connection.execute(
                    f"""
                    with current_loaded as (
                        select data_source, key, etag, load_id from ({FILE_STATUSES_SQL}) where status = 'loaded'
                    ),
                    newest_completed as (
                        select sources.data_source, max(cast(loads.load_id as decimal(24, 10))) as load_order
                        from {RAW_SCHEMA}.data_sources as sources
                        inner join {RAW_SCHEMA}.{LOADS_TABLE} as loads
                            on sources._dlt_load_id = loads.load_id and loads.status = 0
                        group by sources.data_source
                    )
                    delete from {RAW_SCHEMA}.{table} as raw_rows
                    where not exists (
                        select 1 from current_loaded
                        where current_loaded.data_source = raw_rows.{data_source}
                          and current_loaded.key = raw_rows.{key} and current_loaded.etag = raw_rows.{etag}
                          and current_loaded.load_id = raw_rows._dlt_load_id
                    )
                    and (
                        raw_rows._dlt_load_id in (select load_id from {RAW_SCHEMA}.{LOADS_TABLE} where status = 0)
                        or cast(raw_rows._dlt_load_id as decimal(24, 10)) < (
                            select load_order from newest_completed
                            where newest_completed.data_source = raw_rows.{data_source}
                        )
                    )
                    """
                )
            )
            if table == ROWS_TABLE:
                removed_rows = int(removed)
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    if removed_rows:
        logger.info("raw clean-up: %s rows of versions that no longer count removed", f"{removed_rows:,}")
    return removed_rows
