"""What the raw layer knows about each file version, from the events of completed loads only.

The rule is the dbt model's (`int_focus__file_statuses`), written once more in SQL for the loader's own
questions (which ETags to skip, which keys were deleted, what `status` shows) because these are asked
before any dbt build. An event counts only when its load id is in `raw._dlt_loads` with status 0: dlt
writes that row last, after every table of the package, so a killed run's events never count. Per key, its
latest counted event (by load id, which is a time) decides: `loaded` or `rejected` make that version the
key's current one, `deleted` leaves the key without one. Every other version of the key is `replaced`.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from focus_ingest.raw_tables import EVENTS_TABLE
from focus_ingest.state import LOADS_TABLE, RAW_SCHEMA

CURRENT_STATUSES = ("loaded", "rejected")

# One row per file version (data_source, key, etag): its latest counted event, its status, and the load id
# of that event (for `loaded`: the load that holds the version's rows).
FILE_STATUSES_SQL = f"""
with completed_loads as (
    select load_id from {RAW_SCHEMA}.{LOADS_TABLE} where status = 0
),
committed_events as (
    select events.*, events._dlt_load_id as load_id, cast(events._dlt_load_id as decimal(24, 10)) as load_order
    from {RAW_SCHEMA}.{EVENTS_TABLE} as events
    inner join completed_loads on events._dlt_load_id = completed_loads.load_id
),
events_ranked as (
    select
        *,
        row_number() over (partition by data_source, key order by load_order desc) as key_recency,
        row_number() over (partition by data_source, key, etag order by load_order desc) as version_recency
    from committed_events
)
select
    data_source, key, etag, billing_month, size, last_modified, row_count, error, error_line, header,
    read_limits, run_id, load_id, event_at,
    case
        when key_recency = 1 and event in ('loaded', 'rejected') then event
        when key_recency = 1 then 'deleted'
        else 'replaced'
    end as status
from events_ranked
where version_recency = 1
"""


@dataclass(frozen=True)
class KnownVersion:
    """The current (loaded or rejected) version of a key."""

    key: str
    etag: str
    billing_month: str
    status: str
    read_limits: str | None = None


def has_event_log(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether dlt has created the event log and its commit table (not before the first load)."""
    rows = connection.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_name in (?, ?)",
        [RAW_SCHEMA, EVENTS_TABLE, LOADS_TABLE],
    ).fetchall()
    return len(rows) == 2


def current_versions(connection: duckdb.DuckDBPyConnection, data_source: str) -> dict[str, KnownVersion]:
    """Key -> its current version, for one data source."""
    if not has_event_log(connection):
        return {}
    rows = connection.execute(
        f"select key, etag, billing_month, status, read_limits from ({FILE_STATUSES_SQL}) "
        "where data_source = ? and status in (?, ?)",
        [data_source, *CURRENT_STATUSES],
    ).fetchall()
    return {row[0]: KnownVersion(*row) for row in rows}


def latest_data_source(connection: duckdb.DuckDBPyConnection, data_source: str) -> tuple[str, str] | None:
    """(location, profile) of the data source as its latest completed load recorded it."""
    if not has_event_log(connection):
        return None
    row = connection.execute(
        f"""
        select sources.location, sources.profile
        from {RAW_SCHEMA}.data_sources as sources
        inner join {RAW_SCHEMA}.{LOADS_TABLE} as loads on sources._dlt_load_id = loads.load_id and loads.status = 0
        where sources.data_source = ?
        order by cast(sources._dlt_load_id as decimal(24, 10)) desc
        limit 1
        """,
        [data_source],
    ).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))
