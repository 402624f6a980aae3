"""Outbox storage at district scale (issue 19): size per million events, and dropping a day vs the batched delete.

Run from the repository root:  .venv/bin/python bench/bench_outbox_storage.py [--events 2500000]

A throw-away PostgreSQL database on 127.0.0.1:5432 (ANJU_BENCH_PG_URL), migrated to head (the outbox and its
handler records partitioned by day). N delivered events, shaped like a gate decision's (topic, a ~200-byte JSON
payload, compound), each with two handler records (event_handled), are written twice:

- into one day's partitions, 10 days old: their size (heap, TOAST and indexes of both tables) per million events,
  then the partition job's drop of that day past ANJU_OUTBOX_RETENTION_DAYS (`core.partitions.drop_expired`: detach,
  keep pending/dead rows, DROP TABLE), timed;
- into the default partition (20 days old, before every daily partition): the same rows purged by the batched
  delete the outbox used before (`core.events.purge_delivered`, 5,000 events and their records a transaction, until
  none is left), timed. This is the same code and the same row count as before partitions (a single table then).

Prints the sizes, both times, and the ratio batched delete / partition drop. A few pending and dead events are
mixed into the day, and checked kept after the drop. The batched delete also leaves dead tuples for VACUUM to
reclaim afterwards (not timed here); a dropped partition returns its files to the file system at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from typing import Any

os.environ.setdefault("ANJU_ENV", "development")
os.environ.setdefault("ANJU_SECRET_KEY", "bench-secret-key")

from sqlalchemy import text

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import fresh_pg_database

CHUNK = 100_000
KEPT = 20  # pending and dead events mixed into the expired day


def fill(n: int, at: Any) -> None:
    """N delivered events created at `at` (spread over an hour), two handler records each, in chunks."""
    from anju.core import db as core_db

    for lo in range(0, n, CHUNK):
        with core_db.transaction() as s:
            s.execute(
                text(
                    "WITH ev AS (INSERT INTO outbox_event (topic, payload, compound_id, created_at, status, attempts,"
                    " available_at, delivered_at, relayed_at) SELECT 'access.AccessDecided', json_build_object("
                    "'log_id', 9000000 + g, 'compound_id', g % 177 + 1, 'access_point_id', g % 5000,"
                    " 'person_id', g % 400000, 'credential_id', g % 500000, 'method', 'card', 'decision', 'allow',"
                    " 'reason', 'ok', 'direction', 'in', 'source', 'online',"
                    " 'at', to_char(t, 'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00')),"
                    " g % 177 + 1, t, 'done', 1, t, t + interval '40 ms', t + interval '90 ms'"
                    " FROM (SELECT g, CAST(:at AS timestamptz) + (g % 3600) * interval '1 s' AS t"
                    " FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g) x"
                    " RETURNING id, created_at, delivered_at)"
                    " INSERT INTO event_handled (event_id, event_created_at, handler, handled_at)"
                    " SELECT ev.id, ev.created_at, h, ev.delivered_at FROM ev, unnest(ARRAY["
                    "'anju.alarms.handlers.on_access_decided', 'anju.analytics.handlers.count_passage']) h"
                ),
                {"at": at, "lo": lo, "hi": min(n, lo + CHUNK) - 1},
            )
    with core_db.transaction() as s:
        s.execute(text("ANALYZE outbox_event"))
        s.execute(text("ANALYZE event_handled"))


def size(conn: Any, table: str) -> int:
    return int(conn.execute(text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": table}).scalar_one())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=2_500_000, help="delivered events per run (two records each)")
    args = ap.parse_args()
    n = args.events
    print(f"PostgreSQL, {n:,} delivered events (two handler records each), load average {os.getloadavg()[0]:.1f}")
    _url, drop = fresh_pg_database("outbox")
    try:
        from anju.core import db as core_db
        from anju.core.db import utcnow
        from anju.core.events import purge_delivered
        from anju.core.partitions import create_period, drop_expired, partition_name, period_floor, registered

        spec = registered()["outbox_event"]
        now = utcnow()
        day = period_floor(now, "day") - timedelta(days=10)
        with core_db.transaction() as s:
            for table, column in (("outbox_event", "created_at"), ("event_handled", "event_created_at")):
                create_period(s.connection(), table, column, day, "day")

        t0 = time.perf_counter()
        fill(n, day)
        with core_db.transaction() as s:  # a few undelivered events in the day: they must survive the drop
            s.execute(
                text(
                    "UPDATE outbox_event SET status = CASE WHEN id % 2 = 0 THEN 'pending' ELSE 'dead' END"
                    " WHERE id IN (SELECT id FROM outbox_event ORDER BY id LIMIT :k)"
                ),
                {"k": KEPT},
            )
        fill_s = time.perf_counter() - t0
        with core_db.new_session() as s:
            c = s.connection()
            ev_part, h_part = partition_name("outbox_event", day, "day"), partition_name("event_handled", day, "day")
            ev_bytes, h_bytes = size(c, ev_part), size(c, h_part)
        per_m = 1_000_000 / n / 2**20
        print(f"  fill: {fill_s:6.1f} s")
        print(f"  outbox_event  per million events: {ev_bytes * per_m:8.0f} MB (issue's figure: 4.2 GB / 10M = 420 MB)")
        print(f"  event_handled per million events: {h_bytes * per_m:8.0f} MB (two records an event)")

        t0 = time.perf_counter()
        with core_db.transaction() as s:
            dropped = drop_expired(s.connection(), spec, now)
        drop_s = time.perf_counter() - t0
        assert ev_part in dropped and h_part in dropped, dropped
        with core_db.new_session() as s:
            kept = s.execute(text("SELECT count(*) FROM outbox_event WHERE status <> 'done'")).scalar_one()
            records = s.execute(text("SELECT count(*) FROM event_handled")).scalar_one()
        if kept != KEPT or records != 2 * KEPT:
            sys.exit(f"the drop lost undelivered events: {kept} of {KEPT} kept, {records} of {2 * KEPT} records")
        print(f"  drop the day (partition job, {KEPT} undelivered kept): {drop_s:8.2f} s")

        old = now - timedelta(days=20)  # before every daily partition: the default partition, a single table
        t0 = time.perf_counter()
        fill(n, old)
        print(f"  fill again (default partition): {time.perf_counter() - t0:6.1f} s")
        t0 = time.perf_counter()
        batches = 0
        while purge_delivered(before=now - timedelta(days=7), limit=5_000):
            batches += 1
        purge_s = time.perf_counter() - t0
        with core_db.new_session() as s:
            left = s.execute(text("SELECT count(*) FROM outbox_event WHERE status = 'done'")).scalar_one()
        if left:
            sys.exit(f"the batched delete left {left} delivered events")
        print(f"  batched delete ({batches} batches of 5,000):          {purge_s:8.2f} s")
        print(f"  ratio batched delete / partition drop:       {purge_s / drop_s:8.0f}x")
        print(f"  load average after: {os.getloadavg()[0]:.1f}")
    finally:
        from anju.core import db as core_db

        core_db.set_engine(None)
        drop()


if __name__ == "__main__":
    main()
