"""Time each 大屏 layer, the KPI tiles and a security report over a grown history, against a bare indexed count.

A fresh demo database (SQLite by default, or --pg URL) gets ALARMS alarms and PASSAGES access-log rows spread over
the last year (bulk inserts, no outbox events), then each provider of anju.analytics.layers, the KPI tiles, the
district view and the monthly and quarterly report computations are timed (median of 5 runs). The baseline is
`SELECT count(*) FROM alarm WHERE compound_id = ?` measured in the same run, so the ratios travel between machines.

Issue 19: the access and hot-spot layers and the passage tiles read the hourly rollups (anju.core.rollup) for
closed hours and the raw tables for the open hour. After the first rollup run (its time, the whole year's backfill,
is printed) each of them is timed in interleaved rounds on both paths: with the rollups hidden from the session
(every read falls back to the raw tables, the old path) and with them.

    .venv/bin/python bench/bench_command_picture.py [--alarms 50000] [--passages 200000] [--pg postgresql+psycopg://…]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import fresh_demo_db


def median_ms(fn: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alarms", type=int, default=50_000)
    ap.add_argument("--passages", type=int, default=200_000)
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--pg", default=None)
    args = ap.parse_args()

    url, built = fresh_demo_db(args.pg, full=False)
    print(f"demo database {url.split('://')[0]} built in {built:.1f} s")

    from sqlalchemy import func, insert, select, update

    from anju.access.models import AccessLog
    from anju.accounts.models import User
    from anju.accounts.service import account_service
    from anju.alarms.models import Alarm
    from anju.analytics.layers import LayerContext, layer_keys, plan_geometry
    from anju.analytics.picture import china_midnight, district, kpis
    from anju.analytics.reports import compute
    from anju.core import db as core_db
    from anju.core.db import utcnow
    from anju.devices.models import Device, DeviceMessage
    from anju.devices.service import online_device_hours
    from anju.registry.models import Building, Compound

    rng = random.Random(7)
    now = utcnow()
    with core_db.transaction() as s:
        a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
        buildings = list(s.execute(select(Building.id).where(Building.compound_id == a)).scalars())
        kinds = ["smoke", "water_leak", "door_held_open", "theft", "intrusion", "device_fault", "fire_lane_blocked"]
        rows = []
        for i in range(args.alarms):
            at = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            status = rng.choice(["resolved", "resolved", "false_alarm"]) if i % 500 else "new"
            key = f"bench:{uuid.uuid4().hex}"
            rows.append(
                {
                    "compound_id": a,
                    "kind": rng.choice(kinds),
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
            )
            if len(rows) == 5000:
                s.execute(insert(Alarm), rows)
                rows = []
        if rows:
            s.execute(insert(Alarm), rows)
        rows = []
        for _ in range(args.passages):
            rows.append(
                {
                    "compound_id": a,
                    "method": rng.choice(["card", "qr", "face", "visitor_qr"]),
                    "decision": "allow" if rng.random() < 0.97 else "deny",
                    "reason": "bench",
                    "direction": rng.choice(["in", "out"]),
                    "source": "online",
                    "server_at": now - timedelta(minutes=rng.randrange(365 * 24 * 60)),
                    "skew_flagged": False,
                }
            )
            if len(rows) == 10000:
                s.execute(insert(AccessLog), rows)
                rows = []
        if rows:
            s.execute(insert(AccessLog), rows)
        # Device telemetry (issue 15's device-hours online rate): heartbeats of the compound's devices over the year.
        devices = list(s.execute(select(Device.id).where(Device.compound_id == a)).scalars())
        s.execute(update(Device).where(Device.compound_id == a).values(created_at=now - timedelta(days=366)))
        rows = []
        for i in range(args.messages if devices else 0):
            at = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            rows.append(
                {
                    "device_id": rng.choice(devices),
                    "compound_id": a,
                    "event_id": f"bench-{i}",
                    "kind": "heartbeat",
                    "device_at": at,
                    "received_at": at,
                    "data": {},
                }
            )
            if len(rows) == 10000:
                s.execute(insert(DeviceMessage), rows)
                rows = []
        if rows:
            s.execute(insert(DeviceMessage), rows)
    print(
        f"history: {args.alarms} alarms, {args.passages} access-log rows, {args.messages} device messages"
        f" over a year in compound {a}"
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
            f"first rollup run (a year of backfill): {time.perf_counter() - t0:.1f} s, "
            + ", ".join(f"{r.name} {r.rows} rows" for r in reports)
        )
        s.rollback()

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
        # Interleaved rounds (raw, rollups, raw, …), so a load spike from other processes hits both paths alike.
        samples: dict[tuple[str, bool], list[float]] = {(k, h): [] for k in timed for h in (True, False)}
        for _ in range(7):
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
        for key in layer_keys():
            if key not in timed:
                fn = layers._providers[key][1]
                row(f"layer {key}", median_ms(lambda fn=fn: fn(ctx)))
        row("district view (street office)", median_ms(lambda: district(s, who=gov, now=now), runs=3))
        today = date.today()
        month = today.replace(day=1) - timedelta(days=1)
        row(
            "report: a month",
            median_ms(
                lambda: compute(s, compound_id=a, kind="month", start=month.replace(day=1), end=today.replace(day=1)),
                runs=3,
            ),
        )
        row(
            "report: a year (as one range)",
            median_ms(
                lambda: compute(s, compound_id=a, kind="quarter", start=today - timedelta(days=365), end=today), runs=3
            ),
        )


if __name__ == "__main__":
    main()
