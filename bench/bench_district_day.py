"""A simulated district (issue 19): N compounds of 200-3,000 houses, a day of device traffic through the real intake.

1. District: a fresh database (SQLite by default, --pg URL), then --compounds compounds created with the registry's
   structure service and generator (random sizes of 200-3,000 houses) and their devices registered (smoke
   detectors on every floor of every unit, lifts, gas, fire doors, pumps…: `register_demo_devices`).
2. Day: every device sends one signed MQTT telemetry message every --interval simulated minutes for --hours
   simulated hours (a few smoke alarms ride along, 1 in 2,000). Batches of --batch messages (the gateway's batch)
   go through `intake_service.parse_mqtt` + `store` (HMAC, validation, idempotent store, device state, rules,
   outbox) and commit; then the in-process worker delivers the outbox (alarms are raised by the alarm handler).
3. Baseline in the same run: the same number of rows written by a bare Core INSERT into device_message in the same
   batch size (no authentication, validation, state or rules), so the ratio travels between machines.

Printed: district build time, messages/s through the intake vs the bare insert, p50/p99 of a batch's store
latency and of an alarm's latency (message batch arrival → alarm row committed by the handler), simulated hours
per wall second, database growth per compound-day, and the rollup job's time over the day.

    .venv/bin/python bench/bench_district_day.py [--compounds 177] [--hours 24] [--interval 60] [--pg URL]

Not covered yet: access passages, work orders, visitors, patrols; several gateways and workers in parallel.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import fresh_demo_db


def db_size(url: str) -> int:
    from sqlalchemy import text

    from anju.core.db import new_session

    with new_session() as s:
        if url.startswith("postgresql"):
            return int(s.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return os.path.getsize(url.removeprefix("sqlite:///"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    vs = sorted(values)
    return vs[min(len(vs) - 1, int(q * len(vs)))]


def build_district(n: int, rng: random.Random) -> tuple[list[tuple[int, str]], int, int]:
    """n compounds with their structure and devices; returns [(id, code)], houses, devices."""
    from sqlalchemy import func, select

    from anju.core.db import transaction
    from anju.devices.models import Device
    from anju.registry.schemas import CompoundCreate
    from anju.registry.structure_schemas import GeneratorSpec
    from anju.registry.structure_service import structure_service
    from anju.sim.devices_demo import register_demo_devices

    out: list[tuple[int, str]] = []
    houses = 0
    for i in range(n):
        target = rng.randint(200, 3000)
        floors = rng.choice([6, 11, 18, 26, 33])
        units = rng.choice([1, 2, 3])
        per_floor = rng.choice([2, 4])
        buildings = max(1, round(target / (floors * units * per_floor)))
        code = f"D{i:03d}"
        with transaction() as s:
            c = structure_service.create_compound(
                s, who=None, data=CompoundCreate(code=code, name=f"红谷滩第{i + 1}小区", address=f"红谷滩区 {i + 1} 号")
            )
            spec = GeneratorSpec(
                buildings_from=1,
                buildings_to=buildings,
                units=units,
                floors_to=floors,
                houses_per_floor=per_floor,
                confirm=True,
            )
            houses += structure_service.generate(s, who=None, compound=c, spec=spec).houses
            register_demo_devices(s, compound_id=c.id)
            out.append((c.id, code))
    with transaction() as s:
        devices = int(s.execute(select(func.count()).select_from(Device)).scalar_one())
    return out, houses, devices


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=177)
    ap.add_argument("--hours", type=float, default=24.0, help="simulated hours of the day")
    ap.add_argument("--interval", type=float, default=60.0, help="simulated minutes between a device's messages")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--pg", default=None)
    args = ap.parse_args()

    url, built = fresh_demo_db(args.pg, full=False)
    print(f"demo database {url.split('://')[0]} built in {built:.1f} s; load average {os.getloadavg()[0]:.1f}")

    from sqlalchemy import func, insert, select

    from anju.alarms.models import Alarm
    from anju.core.db import new_session, transaction
    from anju.core.events import deliver_pending
    from anju.core.rollup import run_rollups
    from anju.devices.intake_service import intake_service
    from anju.devices.models import Device, DeviceMessage
    from anju.devices.protocol import sign_mqtt, topic_for
    from anju.sim.devices_demo import demo_secret
    from anju.sim.simulator import SimDevice, normal
    from anju.startup import register_all

    register_all()
    rng = random.Random(19)
    t0 = time.perf_counter()
    compounds, houses, n_devices = build_district(args.compounds, rng)
    print(
        f"district: {len(compounds)} compounds, {houses} houses, {n_devices} devices in {time.perf_counter() - t0:.1f} s"
    )
    codes = dict(compounds)
    with new_session() as s:
        devices = [
            (
                SimDevice(d.device_key, d.device_type, demo_secret(d.device_key), 60, None, d.floor, ""),
                codes[d.compound_id],
            )
            for d in s.execute(select(Device).where(Device.compound_id.in_(list(codes))).order_by(Device.id)).scalars()
        ]
    size0 = db_size(url)
    alarms0 = 0
    with new_session() as s:
        alarms0 = int(s.execute(select(func.count()).select_from(Alarm)).scalar_one())

    # The day: each slot (interval) every device sends once; slots are replayed as fast as the intake goes.
    slots = int(args.hours * 60 / args.interval)
    day0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=args.hours)
    sent = stored = alarm_msgs = 0
    batch_ms: list[float] = []
    alarm_ms: list[float] = []
    run = str(int(time.time()))
    wall0 = time.perf_counter()
    for slot in range(slots):
        at = day0 + timedelta(minutes=slot * args.interval)
        items: list[tuple[str, bytes]] = []
        for k, (d, code) in enumerate(devices):
            data = normal(d, rng)
            if d.device_type == "smoke_detector" and rng.random() < 0.0005:
                data = {"smoke": 7.0, "alarm": True}
                alarm_msgs += 1
            topic = topic_for(code, d.key, "telemetry")
            msg = {"event_id": f"{run}-{slot}-{k}", "ts": at.isoformat(), "data": data}
            items.append((topic, sign_mqtt(d.secret, topic, msg)))
        for i in range(0, len(items), args.batch):
            chunk = items[i : i + args.batch]
            b0 = time.perf_counter()
            with transaction() as s:
                acc, rej = intake_service.parse_mqtt(s, chunk, now=at)
                out = intake_service.store(
                    s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at
                )
            stored += out.inserted
            b1 = time.perf_counter()
            batch_ms.append((b1 - b0) * 1000)
            raised = bool(out.alarms_raised)
            while deliver_pending(worker_id="district", limit=500):
                pass
            if raised:
                alarm_ms.append((time.perf_counter() - b0) * 1000)
            sent += len(chunk)
    wall = time.perf_counter() - wall0
    size1 = db_size(url)
    with new_session() as s:
        alarms = int(s.execute(select(func.count()).select_from(Alarm)).scalar_one()) - alarms0
    r0 = time.perf_counter()
    reports = run_rollups()
    rollup_s = time.perf_counter() - r0

    # Baseline: the same number of rows, bare Core INSERTs in the same batch size.
    ids = [(d_id, c_id) for d_id, c_id in _device_ids()]
    rows_total = sent
    b_wall0 = time.perf_counter()
    n = 0
    while n < rows_total:
        rows = []
        for j in range(min(args.batch, rows_total - n)):
            d_id, c_id = ids[(n + j) % len(ids)]
            rows.append(
                {
                    "device_id": d_id,
                    "compound_id": c_id,
                    "event_id": f"base-{n + j}",
                    "kind": "telemetry",
                    "device_at": day0,
                    "received_at": day0,
                    "data": {"v": 1},
                }
            )
        with transaction() as s:
            s.execute(insert(DeviceMessage), rows)
        n += len(rows)
    b_wall = time.perf_counter() - b_wall0

    rate, base_rate = sent / wall, rows_total / b_wall
    print(
        f"day: {slots} slots x {len(devices)} devices = {sent} messages ({stored} stored), {alarm_msgs} alarm messages"
    )
    print(f"intake (parse+HMAC+validate+store+state+rules+outbox, then handlers): {rate:,.0f} msg/s in {wall:.1f} s")
    print(
        f"baseline bare INSERT of the same rows:                               {base_rate:,.0f} msg/s in {b_wall:.1f} s"
    )
    print(f"ratio intake / bare insert: {rate / base_rate:.2f}")
    print(f"simulated time: {args.hours:g} h in {wall:.0f} s = {args.hours * 3600 / wall:,.0f}x real time")
    print(f"batch store latency ({args.batch} msgs): p50 {pct(batch_ms, 0.5):.0f} ms, p99 {pct(batch_ms, 0.99):.0f} ms")
    print(
        f"alarm latency (batch arrival -> alarm committed by its handler): {len(alarm_ms)} batches, "
        f"p50 {pct(alarm_ms, 0.5):.0f} ms, p99 {pct(alarm_ms, 0.99):.0f} ms; {alarms} alarms raised"
    )
    per_cday = (size1 - size0) / len(compounds) / (args.hours / 24)
    print(f"database growth: {(size1 - size0) / 1e6:.1f} MB = {per_cday / 1e6:.2f} MB per compound-day")
    print(f"rollup job over the day: {rollup_s:.1f} s ({', '.join(f'{r.name} {r.rows} rows' for r in reports)})")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def _device_ids() -> list[tuple[int, int]]:
    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        return [(int(a), int(b)) for a, b in s.execute(select(Device.id, Device.compound_id).order_by(Device.id))]


if __name__ == "__main__":
    main()
