"""Monthly range partitions for history tables on PostgreSQL (issue 19), single tables on SQLite.

A domain that owns a high-volume history table declares it with `register(MonthlyPartitions(...))`: the parent
table is `PARTITION BY RANGE (<column>)` (created so by that domain's migration), with one partition per UTC month
named `<table>_pYYYYMM` and a default partition `<table>_pdefault` that catches rows outside every month (a
replay far in the past, a test's old rows), so an insert never fails for want of a partition.

The leased job `core.partitions` (hourly) keeps, per registered table:

- the current month and `ahead` months after it created (`ensure`); rows the default partition already holds for
  such a month are moved into it in the same transaction (PostgreSQL refuses the new partition otherwise);
- whole months dropped once their end is older than the table's retention (`drop_expired`): a month of rows goes
  with one `DROP TABLE`, not millions of `DELETE`s. Retention is therefore month-granular on PostgreSQL (a row is
  kept up to one month longer than configured); the domain's own row purge deletes only what lies before the oldest
  monthly partition (the default partition's old rows, see `row_purge_bound`).

On SQLite the tables stay single tables and every function here is a no-op; repositories call the same code.
PostgreSQL requires the partition key in every unique key, so a table keyed by something else (telemetry's
device + event id, the access log's terminal + record id) keeps that key in a small non-partitioned table of its own
(see the owning domain), and nothing holds a foreign key into a partitioned table (it would have to name the full
key and would stop a month from being dropped). Registered today: device_message, access_log, alarm_transition,
notification.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, text

from anju.core.db import transaction, utcnow
from anju.core.jobs import job

log = logging.getLogger("anju.partitions")

_MONTH = re.compile(r"_p(\d{4})(\d{2})$")


@dataclass(frozen=True)
class MonthlyPartitions:
    table: str  # the partitioned parent
    column: str  # the partition key: a timestamptz set by the server (never a device's clock)
    retention: Callable[[], timedelta]  # per data kind, read from the owning domain's settings at run time
    ahead: int = 2  # months created in advance of the current one


_specs: dict[str, MonthlyPartitions] = {}


def register(spec: MonthlyPartitions) -> MonthlyPartitions:
    _specs[spec.table] = spec
    return spec


def registered() -> dict[str, MonthlyPartitions]:
    return dict(_specs)


def month_floor(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def add_months(month: datetime, n: int) -> datetime:
    idx = month.year * 12 + month.month - 1 + n
    return datetime(idx // 12, idx % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_pdefault"


def is_partitioned(conn: Connection, table: str) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.execute(
            text("SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = :t"),
            {"t": table},
        ).first()
    )


def partition_names(conn: Connection, table: str) -> list[str]:
    """Every partition of `table` (monthly and default); empty on SQLite or for a plain table."""
    if conn.dialect.name != "postgresql":
        return []
    return [
        str(r[0])
        for r in conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t ORDER BY c.relname"
            ),
            {"t": table},
        )
    ]


def monthly(conn: Connection, table: str) -> dict[datetime, str]:
    """The monthly partitions of `table`, by month start."""
    out: dict[datetime, str] = {}
    for name in partition_names(conn, table):
        m = _MONTH.search(name)
        if m and name == f"{table}_p{m.group(1)}{m.group(2)}":
            out[datetime(int(m.group(1)), int(m.group(2)), 1, tzinfo=UTC)] = name
    return out


def all_partition_names(conn: Connection) -> set[str]:
    """Every partition in the schema (what schema comparison must not mistake for a table of its own)."""
    if conn.dialect.name != "postgresql":
        return set()
    return {str(r[0]) for r in conn.execute(text("SELECT c.relname FROM pg_class c WHERE c.relispartition"))}


def create_default(conn: Connection, table: str) -> None:
    conn.exec_driver_sql(f'CREATE TABLE IF NOT EXISTS "{default_name(table)}" PARTITION OF "{table}" DEFAULT')


def create_month(conn: Connection, table: str, column: str, month: datetime) -> bool:
    """Create the partition of `month` if absent; rows already in the default partition for it move in.

    Returns True when it was created. Runs in the caller's transaction (DDL is transactional on PostgreSQL).
    """
    name = partition_name(table, month)
    if name in monthly(conn, table).values():
        return False
    lo, hi = month, add_months(month, 1)
    bounds = f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
    dflt = default_name(table)
    has_default = dflt in partition_names(conn, table)
    stray = (
        has_default
        and conn.execute(
            text(f'SELECT 1 FROM "{dflt}" WHERE "{column}" >= :lo AND "{column}" < :hi LIMIT 1'), {"lo": lo, "hi": hi}
        ).first()
    )
    if not stray:
        conn.exec_driver_sql(f'CREATE TABLE "{name}" PARTITION OF "{table}" {bounds}')
        return True
    # The default partition holds rows of this month: take it out, create the month, move its rows, put it back.
    conn.exec_driver_sql(f'ALTER TABLE "{table}" DETACH PARTITION "{dflt}"')
    conn.exec_driver_sql(f'CREATE TABLE "{name}" PARTITION OF "{table}" {bounds}')
    where = f'"{column}" >= :lo AND "{column}" < :hi'
    conn.execute(text(f'INSERT INTO "{table}" SELECT * FROM "{dflt}" WHERE {where}'), {"lo": lo, "hi": hi})
    conn.execute(text(f'DELETE FROM "{dflt}" WHERE {where}'), {"lo": lo, "hi": hi})
    conn.exec_driver_sql(f'ALTER TABLE "{table}" ATTACH PARTITION "{dflt}" DEFAULT')
    return True


def ensure(conn: Connection, spec: MonthlyPartitions, now: datetime) -> list[str]:
    """Create this month's and the next `ahead` months' partitions (PostgreSQL, partitioned tables only)."""
    if not is_partitioned(conn, spec.table):
        return []
    first = month_floor(now)
    return [
        partition_name(spec.table, m)
        for m in (add_months(first, i) for i in range(spec.ahead + 1))
        if create_month(conn, spec.table, spec.column, m)
    ]


def drop_expired(conn: Connection, spec: MonthlyPartitions, now: datetime) -> list[str]:
    """Drop every monthly partition whose whole month lies before `now - retention`."""
    if not is_partitioned(conn, spec.table):
        return []
    cutoff = now - spec.retention()
    dropped = []
    for month, name in sorted(monthly(conn, spec.table).items()):
        if add_months(month, 1) <= cutoff:
            conn.exec_driver_sql(f'DROP TABLE "{name}"')
            dropped.append(name)
    return dropped


def row_purge_bound(conn: Connection, table: str, before: datetime) -> datetime:
    """Where a row-by-row retention purge of `table` should stop: `before`, or on a partitioned table the start of
    its oldest monthly partition if earlier (whole months are dropped by `drop_expired`, not deleted row by row)."""
    months = monthly(conn, table)
    return min(before, min(months)) if months else before


def maintain(now: datetime | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """One run of the partition job: per registered table, (created, dropped), each table in its own transaction."""
    now = now or utcnow()
    done: dict[str, tuple[list[str], list[str]]] = {}
    for spec in _specs.values():
        with transaction() as session:
            conn = session.connection()
            made = ensure(conn, spec, now)
            gone = drop_expired(conn, spec, now)
        if made or gone:
            log.info("partitions of %s: created %s, dropped %s", spec.table, made, gone)
        done[spec.table] = (made, gone)
    return done


@job("core.partitions", every=timedelta(hours=1))
def partitions_job() -> None:
    maintain()
