"""Range partitions by month (or day) for history tables on PostgreSQL (issue 19), single tables on SQLite.

A domain that owns a high-volume history table declares it with `register(MonthlyPartitions(...))`: the parent
table is `PARTITION BY RANGE (<column>)` (created so by that domain's migration), with one partition per UTC month
named `<table>_pYYYYMM` and a default partition `<table>_pdefault` that catches rows outside every month (a
replay far in the past, a test's old rows), so an insert never fails for want of a partition. A table whose
retention is days, not months, takes `width="day"` (partitions `<table>_pYYYYMMDD`: the outbox, whose 7 days would
otherwise be kept up to 5 weeks). Everything below that says "month" means "period" for such a table.

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
notification (monthly); outbox_event with its handler records event_handled (daily, `anju.core.events`);
pii_access (monthly, `anju.core.audit`: its `keep` inserts nothing back but records where each hash chain is cut
before the month is dropped).

Two options serve a table whose expired rows are not all disposable (the outbox): `children`, tables partitioned
the same way on their own column and created and dropped with it in the same transaction (the outbox's handler
records carry their event's creation time for this), and `keep`, called with an expired period's partitions
detached (no longer covering their range) to insert back through the parent what must outlive them (pending and
dead events: they land in the default partition) before the partitions are dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, text

from anju.core.db import transaction, utcnow
from anju.core.jobs import job

log = logging.getLogger("anju.partitions")

_MONTH = re.compile(r"_p(\d{4})(\d{2})$")
_DAY = re.compile(r"_p(\d{4})(\d{2})(\d{2})$")

Width = Literal["month", "day"]
# Called with the detached partitions of an expired period ({table: partition}) and its bounds [lo, hi), in the
# drop's transaction: inserts into the parents what must outlive the period (it lands in the default partitions).
Keep = Callable[[Connection, dict[str, str], datetime, datetime], None]


@dataclass(frozen=True)
class RangePartitions:
    table: str  # the partitioned parent
    column: str  # the partition key: a timestamptz set by the server (never a device's clock)
    retention: Callable[[], timedelta]  # per data kind, read from the owning domain's settings at run time
    ahead: int = 2  # periods created in advance of the current one
    width: Width = "month"
    # (table, column): partitioned by the same periods on their own column, created and dropped with this table
    children: tuple[tuple[str, str], ...] = ()
    keep: Keep | None = None


MonthlyPartitions = RangePartitions  # the name every monthly history table registers with

_specs: dict[str, RangePartitions] = {}


def register(spec: RangePartitions) -> RangePartitions:
    _specs[spec.table] = spec
    return spec


def registered() -> dict[str, RangePartitions]:
    return dict(_specs)


def month_floor(at: datetime) -> datetime:
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def add_months(month: datetime, n: int) -> datetime:
    idx = month.year * 12 + month.month - 1 + n
    return datetime(idx // 12, idx % 12 + 1, 1, tzinfo=UTC)


def period_floor(at: datetime, width: Width) -> datetime:
    if width == "month":
        return month_floor(at)
    at = at.astimezone(UTC)
    return datetime(at.year, at.month, at.day, tzinfo=UTC)


def add_periods(start: datetime, n: int, width: Width) -> datetime:
    return add_months(start, n) if width == "month" else start + timedelta(days=n)


def partition_name(table: str, month: datetime, width: Width = "month") -> str:
    return f"{table}_p{month:%Y%m}" if width == "month" else f"{table}_p{month:%Y%m%d}"


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


def periods(conn: Connection, table: str, width: Width) -> dict[datetime, str]:
    """The monthly (or daily) partitions of `table`, by period start."""
    out: dict[datetime, str] = {}
    pattern = _MONTH if width == "month" else _DAY
    for name in partition_names(conn, table):
        m = pattern.search(name)
        if m and name == f"{table}_p{''.join(m.groups())}":
            g = [int(x) for x in m.groups()]
            out[datetime(g[0], g[1], g[2] if width == "day" else 1, tzinfo=UTC)] = name
    return out


def monthly(conn: Connection, table: str) -> dict[datetime, str]:
    """The monthly partitions of `table`, by month start."""
    return periods(conn, table, "month")


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
    return create_period(conn, table, column, month, "month")


def create_period(conn: Connection, table: str, column: str, start: datetime, width: Width) -> bool:
    """`create_month` for a period of `width` starting at `start`."""
    name = partition_name(table, start, width)
    if name in periods(conn, table, width).values():
        return False
    lo, hi = start, add_periods(start, 1, width)
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


def _tables(spec: RangePartitions) -> list[tuple[str, str]]:
    return [(spec.table, spec.column), *spec.children]


def ensure(conn: Connection, spec: RangePartitions, now: datetime) -> list[str]:
    """Create this period's and the next `ahead` periods' partitions (PostgreSQL, partitioned tables only), of the
    table and of its children."""
    if not is_partitioned(conn, spec.table):
        return []
    first = period_floor(now, spec.width)
    return [
        partition_name(table, start, spec.width)
        for table, column in _tables(spec)
        for start in (add_periods(first, i, spec.width) for i in range(spec.ahead + 1))
        if create_period(conn, table, column, start, spec.width)
    ]


def drop_expired(conn: Connection, spec: RangePartitions, now: datetime) -> list[str]:
    """Drop every partition (of the table and its children) whose whole period lies before `now - retention`.

    With `keep`, an expired period's partitions are first detached and `keep` re-inserts what must outlive them.
    """
    if not is_partitioned(conn, spec.table):
        return []
    cutoff = now - spec.retention()
    expired: dict[datetime, dict[str, str]] = {}
    for table, _ in _tables(spec):
        for start, name in periods(conn, table, spec.width).items():
            if add_periods(start, 1, spec.width) <= cutoff:
                expired.setdefault(start, {})[table] = name
    dropped = []
    for start, parts in sorted(expired.items()):
        if spec.keep is not None:
            for table, name in parts.items():
                create_default(conn, table)  # where kept rows land
                conn.exec_driver_sql(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
            spec.keep(conn, parts, start, add_periods(start, 1, spec.width))
        for name in parts.values():
            conn.exec_driver_sql(f'DROP TABLE "{name}"')
            dropped.append(name)
    return dropped


def row_purge_bound(conn: Connection, table: str, before: datetime, width: Width = "month") -> datetime:
    """Where a row-by-row retention purge of `table` should stop: `before`, or on a partitioned table the start of
    its oldest monthly partition if earlier (whole months are dropped by `drop_expired`, not deleted row by row)."""
    starts = periods(conn, table, width)
    return min(before, min(starts)) if starts else before


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
