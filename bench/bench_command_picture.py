"""Time each 大屏 layer, the KPI tiles and a security report over a grown history, against a bare indexed count.

A fresh demo database (SQLite by default, or --pg URL) gets ALARMS alarms and PASSAGES access-log rows spread over
the last year (bulk inserts, no outbox events), then each provider of anju.analytics.layers, the KPI tiles, the
district view and the monthly and quarterly report computations are timed (median of 5 runs). The baseline is
`SELECT count(*) FROM alarm WHERE compound_id = ?` measured in the same run, so the ratios travel between machines.

Issue 19: the access and hot-spot layers and the passage tiles read the hourly rollups (anju.core.rollup) for
closed hours and the raw tables for the open hour. After the first rollup run (its time, the whole year's backfill,
is printed) each of them is timed in interleaved rounds on both paths: with the rollups hidden from the session
(every read falls back to the raw tables, the old path) and with them.

Issue 15 (fourth cut): on PostgreSQL the history is made by INSERT … SELECT generate_series (PostgreSQL builds the
rows; the issue's size, 10^7 passages, 10^6 alarms, 2·10^5 work orders, takes minutes instead of hours), then the
first rollup run, ANALYZE, and the analytics precompute job (today's hot-spot models). Every 大屏 tile, the district
view, the street hot-spot map and the report of a compound-year are timed (median of 5, 3 for reports) against the
same bare indexed count, with the load average printed (the machine is shared). `--generate-only` stops after the
rollup run; `--reuse` measures a database such a run filled (generate once, measure as often as needed).

    .venv/bin/python bench/bench_command_picture.py [--alarms 50000] [--passages 200000] [--workorders 20000]
        [--pg postgresql+psycopg://…] [--generate-only | --reuse] [--compare-raw]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _common import fresh_demo_db


def median_ms(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


ALARM_KINDS = ["smoke", "water_leak", "door_held_open", "theft", "intrusion", "device_fault", "fire_lane_blocked"]
ORDER_KINDS = ["household_repair", "common_repair", "complaint", "hazard", "household_repair"]
ORDER_CATEGORIES = ["plumbing", "electrical", "lift", "fire_safety", "cleaning", "noise", "parking"]


def _arr(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{v}'" for v in values) + "]"


def pg_history(s: Any, a: int, now: Any, *, alarms: int, passages: int, messages: int, workorders: int) -> None:
    """The year's history in a few INSERT … SELECT generate_series statements (PostgreSQL builds the rows)."""
    from sqlalchemy import select, text

    from anju.access.models import AccessPoint
    from anju.devices.models import Device
    from anju.registry.models import Building

    buildings = [str(b) for b in s.execute(select(Building.id).where(Building.compound_id == a)).scalars()]
    points = [str(p) for p in s.execute(select(AccessPoint.id).where(AccessPoint.compound_id == a)).scalars()]
    devices = [str(d) for d in s.execute(select(Device.id).where(Device.compound_id == a)).scalars()]
    pick = "(({arr})::int[])[1 + floor(random() * {n})::int]"
    b_pick = pick.format(arr="ARRAY[" + ",".join(buildings) + "]", n=len(buildings))
    s.execute(text("SELECT setseed(0.7)"))
    s.execute(
        text(
            f"""
        INSERT INTO alarm (compound_id, kind, severity, source, dedupe_key, dedupe_slot, title, status, building_id,
            evidence, raised_by, occurred_at, created_at, last_seen_at, occurrences, cleared_by_device,
            acknowledged_at, closed_at, escalation_level)
        SELECT :a, ({_arr(ALARM_KINDS)})[1 + floor(random() * {len(ALARM_KINDS)})::int],
            ({_arr(["critical", "major", "minor", "info"])})[1 + floor(random() * 4)::int],
            'bench', 'bench:' || g, CASE WHEN st = 'new' THEN 'bench:' || g END, 'bench', st, {b_pick},
            '{{}}', 'automation', at, at, at, 1, false,
            at + (1 + floor(random() * 30)) * interval '1 minute',
            CASE WHEN st <> 'new' THEN at + (30 + floor(random() * 270)) * interval '1 minute' END, 0
        FROM (SELECT g, :now - random() * interval '365 days' AS at,
                CASE WHEN g % 500 = 0 THEN 'new' WHEN random() < 0.33 THEN 'false_alarm' ELSE 'resolved' END AS st
              FROM generate_series(1, :n) g) x
        """
        ),
        {"a": a, "now": now, "n": alarms},
    )
    p_pick = pick.format(arr="ARRAY[" + ",".join(points) + "]", n=len(points)) if points else "NULL"
    s.execute(
        text(
            f"""
        INSERT INTO access_log (compound_id, access_point_id, method, decision, reason, direction, source, server_at,
            skew_flagged)
        SELECT :a, {p_pick}, ({_arr(["card", "qr", "face", "visitor_qr"])})[1 + floor(random() * 4)::int],
            CASE WHEN random() < 0.97 THEN 'allow' ELSE 'deny' END, 'bench',
            CASE WHEN random() < 0.5 THEN 'in' ELSE 'out' END, 'online', :now - random() * interval '365 days', false
        FROM generate_series(1, :n) g
        """
        ),
        {"a": a, "now": now, "n": passages},
    )
    s.execute(
        text(
            f"""
        INSERT INTO work_order (compound_id, kind, category, priority, source, title, description, status, building_id,
            created_at, completed_at, closed_at, resolution_due_at, paused_seconds, sla_state, escalation_level, rating)
        SELECT :a, ({_arr(ORDER_KINDS)})[1 + floor(random() * {len(ORDER_KINDS)})::int],
            ({_arr(ORDER_CATEGORIES)})[1 + floor(random() * {len(ORDER_CATEGORIES)})::int], 'normal', 'h5',
            'bench', '', st, {b_pick}, at,
            CASE WHEN st = 'closed' THEN at + (1 + floor(random() * 72)) * interval '1 hour' END,
            CASE WHEN st = 'closed' THEN at + (2 + floor(random() * 96)) * interval '1 hour' END,
            at + interval '48 hours', 0, 'ok', 0,
            CASE WHEN st = 'closed' AND random() < 0.3 THEN 1 + floor(random() * 5)::int END
        FROM (SELECT g, :now - random() * interval '365 days' AS at,
                CASE WHEN g % 100 = 0 THEN 'new' WHEN g % 100 = 1 THEN 'dispatched' ELSE 'closed' END AS st
              FROM generate_series(1, :n) g) x
        """
        ),
        {"a": a, "now": now, "n": workorders},
    )
    if devices and messages:
        d_pick = pick.format(arr="ARRAY[" + ",".join(devices) + "]", n=len(devices))
        s.execute(
            text(
                f"""
            INSERT INTO device_message (device_id, compound_id, event_id, kind, device_at, received_at, data)
            SELECT {d_pick}, :a, 'bench-' || g, 'heartbeat', at, at, '{{}}'
            FROM (SELECT g, :now - random() * interval '365 days' AS at FROM generate_series(1, :n) g) x
            """
            ),
            {"a": a, "now": now, "n": messages},
        )
    for table in ("alarm", "access_log", "work_order", "device_message"):
        s.execute(text(f"ANALYZE {table}"))


def orm_history(
    s: Any, a: int, now: Any, rng: random.Random, *, alarms: int, passages: int, messages: int, workorders: int
) -> None:
    """The same history row by row in batches (SQLite)."""
    from sqlalchemy import insert, select

    from anju.access.models import AccessLog, AccessPoint
    from anju.alarms.models import Alarm
    from anju.devices.models import Device, DeviceMessage
    from anju.registry.models import Building
    from anju.workorders.models import WorkOrder

    buildings = list(s.execute(select(Building.id).where(Building.compound_id == a)).scalars())
    points = list(s.execute(select(AccessPoint.id).where(AccessPoint.compound_id == a)).scalars()) or [None]
    year = 365 * 24 * 60

    def batched(model: Any, make: Callable[[int], dict[str, Any]], n: int) -> None:
        rows = []
        for i in range(n):
            rows.append(make(i))
            if len(rows) == 5000:
                s.execute(insert(model), rows)
                rows = []
        if rows:
            s.execute(insert(model), rows)

    def alarm(i: int) -> dict[str, Any]:
        at = now - timedelta(minutes=rng.randrange(year))
        status = rng.choice(["resolved", "resolved", "false_alarm"]) if i % 500 else "new"
        key = f"bench:{i}"
        return {
            "compound_id": a,
            "kind": rng.choice(ALARM_KINDS),
            "severity": rng.choice(["critical", "major", "minor", "info"]),
            "source": "bench",
            "dedupe_key": key,
            "dedupe_slot": key if status == "new" else None,
            "title": "bench",
            "status": status,
            "building_id": rng.choice(buildings),
            "evidence": {},
            "raised_by": "automation",
            "occurred_at": at,
            "created_at": at,
            "last_seen_at": at,
            "occurrences": 1,
            "cleared_by_device": False,
            "acknowledged_at": at + timedelta(minutes=rng.randint(1, 30)),
            "closed_at": at + timedelta(minutes=rng.randint(30, 300)) if status != "new" else None,
            "escalation_level": 0,
        }

    def passage(_: int) -> dict[str, Any]:
        return {
            "compound_id": a,
            "access_point_id": rng.choice(points),
            "method": rng.choice(["card", "qr", "face", "visitor_qr"]),
            "decision": "allow" if rng.random() < 0.97 else "deny",
            "reason": "bench",
            "direction": rng.choice(["in", "out"]),
            "source": "online",
            "server_at": now - timedelta(minutes=rng.randrange(year)),
            "skew_flagged": False,
        }

    def order(i: int) -> dict[str, Any]:
        at = now - timedelta(minutes=rng.randrange(year))
        st = "new" if i % 100 == 0 else "dispatched" if i % 100 == 1 else "closed"
        done = st == "closed"
        return {
            "compound_id": a,
            "kind": rng.choice(ORDER_KINDS),
            "category": rng.choice(ORDER_CATEGORIES),
            "priority": "normal",
            "source": "h5",
            "title": "bench",
            "description": "",
            "status": st,
            "building_id": rng.choice(buildings),
            "created_at": at,
            "completed_at": at + timedelta(hours=rng.randint(1, 72)) if done else None,
            "closed_at": at + timedelta(hours=rng.randint(2, 96)) if done else None,
            "resolution_due_at": at + timedelta(hours=48),
            "paused_seconds": 0,
            "sla_state": "ok",
            "escalation_level": 0,
            "rating": rng.randint(1, 5) if done and rng.random() < 0.3 else None,
        }

    devices = list(s.execute(select(Device.id).where(Device.compound_id == a)).scalars())

    def message(i: int) -> dict[str, Any]:
        at = now - timedelta(minutes=rng.randrange(year))
        return {
            "device_id": rng.choice(devices),
            "compound_id": a,
            "event_id": f"bench-{i}",
            "kind": "heartbeat",
            "device_at": at,
            "received_at": at,
            "data": {},
        }

    batched(Alarm, alarm, alarms)
    batched(AccessLog, passage, passages)
    batched(WorkOrder, order, workorders)
    batched(DeviceMessage, message, messages if devices else 0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alarms", type=int, default=50_000)
    ap.add_argument("--passages", type=int, default=200_000)
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--workorders", type=int, default=20_000)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--generate-only", action="store_true", help="build, fill and roll up the database, then stop")
    ap.add_argument("--reuse", action="store_true", help="measure a database an earlier --generate-only run filled")
    ap.add_argument("--compare-raw", action="store_true", help="also time the raw-table path of the rollup readers")
    args = ap.parse_args()

    print(f"load average at the start: {load_average()}")
    if args.reuse:
        reuse_db(args.pg)
        print("reusing the database generated by an earlier --generate-only run (migrated to head)")
    else:
        url, built = fresh_demo_db(args.pg, full=False)
        print(f"demo database {url.split('://')[0]} built in {built:.1f} s")

    from sqlalchemy import func, select, text, update

    from anju.accounts.models import User
    from anju.accounts.service import account_service
    from anju.alarms.models import Alarm
    from anju.analytics.layers import LayerContext, layer_keys, plan_geometry
    from anju.analytics.picture import china_midnight, district, kpis
    from anju.analytics.reports import compute
    from anju.core import db as core_db
    from anju.core.db import utcnow
    from anju.devices.models import Device
    from anju.devices.service import online_device_hours
    from anju.registry.models import Compound

    rng = random.Random(7)
    now = utcnow()
    t_gen = time.perf_counter()
    with core_db.transaction() as s:
        a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
        if args.reuse:
            args.alarms = s.execute(select(func.count()).select_from(Alarm).where(Alarm.compound_id == a)).scalar_one()
            args.passages = s.execute(text("SELECT count(*) FROM access_log")).scalar_one()
            args.workorders = s.execute(text("SELECT count(*) FROM work_order")).scalar_one()
            args.messages = s.execute(text("SELECT count(*) FROM device_message")).scalar_one()
        else:
            s.execute(update(Device).where(Device.compound_id == a).values(created_at=now - timedelta(days=366)))
        if not args.reuse and s.get_bind().dialect.name == "postgresql":
            pg_history(
                s,
                a,
                now,
                alarms=args.alarms,
                passages=args.passages,
                messages=args.messages,
                workorders=args.workorders,
            )
        elif not args.reuse:
            orm_history(
                s,
                a,
                now,
                rng,
                alarms=args.alarms,
                passages=args.passages,
                messages=args.messages,
                workorders=args.workorders,
            )
    print(
        f"history: {args.alarms} alarms, {args.passages} access-log rows, {args.workorders} work orders,"
        f" {args.messages} device messages over a year in compound {a}, generated in {time.perf_counter() - t_gen:.1f} s"
    )

    with core_db.new_session() as s:
        who = account_service.principal(s, s.execute(select(User).where(User.username == "manager_wang")).scalar_one())
        gov = account_service.principal(s, s.execute(select(User).where(User.username == "gov_street")).scalar_one())
        compound = s.get(Compound, a)
        assert compound is not None
        base = median_ms(
            lambda: s.execute(select(func.count()).select_from(Alarm).where(Alarm.compound_id == a)).scalar()
        )
        print(f"baseline: bare indexed count of the compound's alarms {base:.2f} ms")
        centres, gates = plan_geometry(s, compound)
        ctx = LayerContext(s, compound, now, centres, gates, china_midnight(now))
        from anju.analytics import layers

        def row(name: str, ms: float) -> None:
            print(f"{name:<34} {ms:9.1f} ms   {ms / base:8.1f} x baseline")

        from anju.core.rollup import RollupState, run_rollups

        t0 = time.perf_counter()
        reports = run_rollups(now=now)
        print(
            f"{'rollup catch-up run' if args.reuse else 'first rollup run (a year of backfill)'}: "
            f"{time.perf_counter() - t0:.1f} s, " + ", ".join(f"{r.name} {r.rows} rows" for r in reports)
        )
        s.rollback()
        if s.get_bind().dialect.name == "postgresql":
            # Fresh planner statistics for the tables just filled (autovacuum would take them in its own time; a
            # rollup table the planner believes empty gets nested-loop plans that take seconds).
            s.connection().execute(text("ANALYZE"))
            s.commit()
        if args.generate_only:
            return

        def raw_path(hide: bool) -> None:
            """Hide the rollups from this session (uncommitted), so every read takes the raw tables, or show them."""
            s.rollback()
            if hide:
                s.execute(update(RollupState).values(rolled_until=None))

        timed = {
            "access": layers._providers["access"][1],
            "hotspots": layers._providers["hotspots"][1],
            "KPI tiles": lambda ctx: kpis(s, who=who, compound_id=a, now=now),
            "device online rate, a year": lambda ctx: online_device_hours(
                s, compound_ids=[a], since=now - timedelta(days=365), until=now
            ),
        }
        if args.compare_raw:
            # Interleaved rounds (raw, rollups, raw, …), so a load spike from other processes hits both paths alike.
            samples: dict[tuple[str, bool], list[float]] = {(k, h): [] for k in timed for h in (True, False)}
            for _ in range(5):
                for hide in (True, False):
                    raw_path(hide)
                    for key, fn in timed.items():
                        fn(ctx)  # warm
                        t1 = time.perf_counter()
                        fn(ctx)
                        samples[(key, hide)].append((time.perf_counter() - t1) * 1000)
            raw_path(False)
            for key in timed:
                raw_ms = statistics.median(samples[(key, True)])
                roll_ms = statistics.median(samples[(key, False)])
                row(f"{key} (raw tables)", raw_ms)
                row(f"{key} (rollups + open hour)", roll_ms)
                print(f"{'':<34} raw / rollups = {raw_ms / roll_ms:.2f}")
        from anju.analytics.picture import command_picture, complaint_board, ticker
        from anju.analytics.street import street_hotspots

        t0 = time.perf_counter()
        precomputed = run_precompute(now)
        print(f"precompute jobs (hot-spot models, day rollups): {time.perf_counter() - t0:.1f} s {precomputed}")
        s.rollback()
        print(f"-- every tile, median of 5 (target <= 200 ms); load average {load_average()}")
        tiles: dict[str, Callable[[], object]] = {
            f"layer {key}": (lambda fn=layers._providers[key][1]: fn(ctx)) for key in layer_keys()
        }
        tiles["KPI tiles"] = lambda: kpis(s, who=who, compound_id=a, now=now)
        tiles["ticker"] = lambda: ticker(s, who=who, compound_id=a, now=now)
        tiles["complaint board"] = lambda: complaint_board(s, who=who, compound_id=a, now=now)
        tiles["whole picture (all of the above)"] = lambda: command_picture(s, who=who, compound_id=a, now=now)
        tiles["district view (street office)"] = lambda: district(s, who=gov, now=now)
        tiles["street hot-spot map"] = lambda: street_hotspots(s, who=gov, now=now)
        tiles["device online rate, a year"] = lambda: online_device_hours(
            s, compound_ids=[a], since=now - timedelta(days=365), until=now
        )
        worst = 0.0
        for name, fn in tiles.items():
            fn()  # warm
            ms = median_ms(fn)
            if not name.startswith(("whole", "device online")):
                worst = max(worst, ms)
            row(name, ms)
        print(f"slowest single tile: {worst:.1f} ms ({'within' if worst <= 200 else 'OVER'} the 200 ms target)")
        today = date.today()
        month = today.replace(day=1) - timedelta(days=1)
        row(
            "report: a month",
            median_ms(
                lambda: compute(s, compound_id=a, kind="month", start=month.replace(day=1), end=today.replace(day=1)),
                runs=3,
            ),
        )
        year_ms = median_ms(
            lambda: compute(s, compound_id=a, kind="year", start=today - timedelta(days=365), end=today), runs=3
        )
        row("report: a compound-year", year_ms)
        print(f"yearly report: {year_ms / 1000:.2f} s ({'within' if year_ms <= 10_000 else 'OVER'} the 10 s target)")
        print(f"load average at the end: {load_average()}")


def reuse_db(url: str) -> None:
    os.environ["ANJU_DATABASE_URL"] = url
    from anju.core import db as core_db
    from anju.core.config import reset_settings
    from anju.core.migrate import upgrade
    from anju.startup import post_upgrade

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    upgrade()
    # A revision edited in the working tree after the database was generated (the tree is shared) is not re-run:
    # create the tables the models have and the database lacks, so the measured code finds them.
    import anju.models  # noqa: F401 - every domain's tables

    core_db.Base.metadata.create_all(core_db.get_engine(), checkfirst=True)
    post_upgrade()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run_precompute(now: Any) -> str:
    """The analytics jobs that keep precomputed tables (when present), run once as the worker would."""
    try:
        from anju.analytics.tasks import precompute
    except ImportError:
        return "(none)"
    return str(precompute(now=now))


if __name__ == "__main__":
    main()
