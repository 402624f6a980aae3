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

4. Access (this cut): every compound gets the demo's gates and terminals; card presentations run at
   --access-per-house passages per house per day, shaped by hour (morning and evening peaks), through
   `decision_service.decide` (log row + outbox event + commit each); 2% are a terminal's offline replay of a
   record already sent (same record id: must not add a row). The district's generated houses have no residents
   with cards, so these decisions are denials ("unknown card"); the write path is the same as for an allow.
5. Faults: mid-day an outbox worker in its own process takes a batch lease and is SIGKILLed while delivering
   (its events come back after the lease and are delivered once); at three quarters of the day the gateway
   "restarts" (its device cache is dropped) and the broker redelivers the last batch it had not acknowledged.
6. Ledger: telemetry rows = distinct messages sent, access rows = distinct record ids, outbox all delivered,
   no (event, handler) handled twice: lost and doubled are printed and must be 0.

Printed: district build time, messages/s through the intake vs the bare insert, p50/p99 of a batch's store
latency and of an alarm's latency (message batch arrival → alarm row committed by the handler), simulated hours
per wall second, database growth per compound-day, and the rollup job's time over the day.

    .venv/bin/python bench/bench_district_day.py [--compounds 177] [--hours 24] [--interval 60] [--pg URL]

Not covered yet: work orders, visitors, patrols, vehicles; several gateway processes in parallel.
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


# Share of a day's passages in each hour (China time = UTC+8): night, morning peak, day, evening peak.
_HOUR_WEIGHT = [
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.6,
    2.0,
    4.0,
    4.0,
    2.0,
    1.2,
    1.2,
    1.5,
    1.2,
    1.0,
    1.0,
    1.4,
    2.5,
    4.0,
    3.5,
    2.0,
    1.5,
    0.8,
    0.4,
]


def passages_share(at: datetime, minutes: float) -> float:
    """The share of a day's passages falling in [at, at + minutes) (by the China-time hour at its start)."""
    return _HOUR_WEIGHT[(at.hour + 8) % 24] / sum(_HOUR_WEIGHT) * minutes / 60.0


def doomed_worker(url: str) -> None:
    """An outbox worker in its own process with a short lease; the bench SIGKILLs it mid-batch."""
    os.environ["ANJU_DATABASE_URL"] = url
    from anju.core import db as core_db
    from anju.core.events import deliver_pending
    from anju.startup import register_all

    core_db.set_engine(core_db.make_engine(url))
    register_all()
    while True:
        deliver_pending(worker_id="doomed", limit=200, lease_seconds=3)


def kill_a_worker_mid_batch(url: str) -> int:
    """Start `doomed_worker`, wait until it holds a lease, SIGKILL it; returns the events it held."""
    import multiprocessing as mp

    from sqlalchemy import func, select

    from anju.core.db import new_session
    from anju.core.events import OutboxEvent

    proc = mp.get_context("spawn").Process(target=doomed_worker, args=(url,), daemon=True)
    proc.start()
    held, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline and not held:
        time.sleep(0.05)
        with new_session() as s:
            held = int(
                s.execute(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.locked_by == "doomed")
                ).scalar_one()
            )
    proc.kill()
    proc.join()
    return held


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=177)
    ap.add_argument("--hours", type=float, default=24.0, help="simulated hours of the day")
    ap.add_argument("--interval", type=float, default=60.0, help="simulated minutes between a device's messages")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--access-per-house", type=float, default=4.0, help="card passages per house per day")
    ap.add_argument("--start-hour", type=int, default=0, help="China-time hour the simulated day starts at")
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
    from anju.access.decision_service import decision_service
    from anju.access.models import AccessLog, Terminal, TerminalAccessPoint
    from anju.access.schemas import CredentialIn, DecisionRequest
    from anju.core.events import OutboxEvent
    from anju.registry.models import House
    from anju.sim.access_demo import build_access_demo

    a0 = time.perf_counter()
    gates: list[tuple[int, int, int]] = []  # (compound, terminal, access point)
    houses_of: dict[int, int] = {}
    with transaction() as s:
        for cid, _ in compounds:
            build_access_demo(s, compound_id=cid)
        for t_id, ap_id, cid in s.execute(
            select(Terminal.id, TerminalAccessPoint.access_point_id, Terminal.compound_id)
            .join(TerminalAccessPoint, TerminalAccessPoint.terminal_id == Terminal.id)
            .where(Terminal.compound_id.in_(list(codes)))
        ):
            gates.append((int(cid), int(t_id), int(ap_id)))
        houses_of = {
            int(c): int(n)
            for c, n in s.execute(
                select(House.compound_id, func.count())
                .where(House.compound_id.in_(list(codes)))
                .group_by(House.compound_id)
            )
        }
    gates_of: dict[int, list[tuple[int, int]]] = {}
    for cid, t_id, ap_id in gates:
        gates_of.setdefault(cid, []).append((t_id, ap_id))
    print(f"access: {len(gates)} terminal-gate pairs in {time.perf_counter() - a0:.1f} s")
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
    # The day starts at --start-hour China time (UTC+8) two days ago, so a short run can cover a peak.
    midnight_cn = (datetime.now(UTC) + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    day0 = midnight_cn - timedelta(hours=8) - timedelta(days=2) + timedelta(hours=args.start_hour)
    sent = stored = alarm_msgs = 0
    batch_ms: list[float] = []
    alarm_ms: list[float] = []
    run = str(int(time.time()))
    decided: dict[str, tuple[int, int]] = {}  # record id -> (terminal, access point) it was sent by
    replays = access_ms_n = 0
    access_wall = 0.0
    killed_held = resent = resent_stored = 0
    last_chunk: list[tuple[str, bytes]] = []
    last_at = day0
    owed = dict.fromkeys(codes, 0.0)
    wall0 = time.perf_counter()
    for slot in range(slots):
        at = day0 + timedelta(minutes=slot * args.interval)
        kill_now = slot == slots // 2  # fault: this slot's events are left to a worker that dies holding them
        if slot == (3 * slots) // 4 and last_chunk:  # fault: gateway restart, the broker redelivers a batch
            from anju.devices.intake_service import directory

            directory.clear()
            with transaction() as s:
                acc, rej = intake_service.parse_mqtt(s, last_chunk, now=last_at + timedelta(seconds=30))
                out = intake_service.store(
                    s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at
                )
            resent += len(last_chunk)
            resent_stored += out.inserted
        # Access: each compound's passages of this slot, decided one by one as a terminal would ask.
        ac0 = time.perf_counter()
        for cid in codes:
            owed[cid] += houses_of.get(cid, 0) * args.access_per_house * passages_share(at, args.interval)
            n_now, owed[cid] = int(owed[cid]), owed[cid] - int(owed[cid])
            pairs = gates_of.get(cid) or []
            for j in range(n_now if pairs else 0):
                t_id, ap_id = pairs[j % len(pairs)]
                replay = bool(decided) and rng.random() < 0.02
                rid = rng.choice(list(decided)[-50:]) if replay else f"{run}-{slot}-{cid}-{j}"
                if replay:  # an offline terminal re-sends a record it already sent
                    t_id, ap_id = decided[rid]
                with transaction() as s:
                    term = s.get(Terminal, t_id)
                    assert term is not None
                    req = DecisionRequest(
                        access_point_id=ap_id,
                        credential=CredentialIn(kind="card", value=f"{rng.getrandbits(32):08X}"),
                        record_id=rid,
                    )
                    decision_service.decide(s, terminal=term, req=req, now=at + timedelta(seconds=j % 60))
                replays += bool(replay)
                decided[rid] = (t_id, ap_id)
                access_ms_n += 1
        access_wall += time.perf_counter() - ac0
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
            last_chunk, last_at = chunk, at
            b1 = time.perf_counter()
            batch_ms.append((b1 - b0) * 1000)
            raised = bool(out.alarms_raised)
            while not kill_now and deliver_pending(worker_id="district", limit=500):
                pass
            if raised and not kill_now:
                alarm_ms.append((time.perf_counter() - b0) * 1000)
            sent += len(chunk)
        if kill_now:
            killed_held = kill_a_worker_mid_batch(url)
    # The killed worker's lease runs out; everything left is delivered by the surviving worker.
    settle = time.perf_counter() + 10
    while time.perf_counter() < settle:
        while deliver_pending(worker_id="district", limit=500):
            pass
        with new_session() as s:
            left = int(
                s.execute(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")
                ).scalar_one()
            )
        if not left:
            break
        time.sleep(0.5)
    wall = time.perf_counter() - wall0
    size1 = db_size(url)
    from sqlalchemy import text

    with new_session() as s:
        tel_rows = int(
            s.execute(
                select(func.count()).select_from(DeviceMessage).where(DeviceMessage.event_id.like(f"{run}-%"))
            ).scalar_one()
        )
        acc_rows = int(
            s.execute(
                select(func.count()).select_from(AccessLog).where(AccessLog.record_id.like(f"{run}-%"))
            ).scalar_one()
        )
        undelivered = int(
            s.execute(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")).scalar_one()
        )
        twice = int(
            s.execute(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM event_handled GROUP BY event_id, handler HAVING count(*) > 1) x"
                )
            ).scalar_one()
        )
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

    rate, base_rate = sent / (wall - access_wall), rows_total / b_wall
    print(
        f"day: {slots} slots x {len(devices)} devices = {sent} messages ({stored} stored), {alarm_msgs} alarm messages"
    )
    print(
        "intake (parse+HMAC+validate+store+state+rules+outbox, then handlers): "
        f"{rate:,.0f} msg/s in {wall - access_wall:.1f} s"
    )
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
    print(
        f"access: {access_ms_n} card decisions ({replays} offline replays) in {access_wall:.1f} s = "
        f"{access_ms_n / max(access_wall, 1e-9):,.0f} decisions/s, each its own commit"
    )
    events = sent + access_ms_n
    print(f"all traffic: {events} events in {wall:.1f} s = {events / wall:,.0f} events/s sustained")
    print(
        f"faults: worker SIGKILLed holding {killed_held} events; gateway restart redelivered {resent} messages, "
        f"{resent_stored} stored again"
    )
    lost_t, doubled_t = max(0, stored - tel_rows), max(0, tel_rows - stored)
    print(
        f"ledger: telemetry sent {sent} unique, stored {tel_rows} (lost {sent - tel_rows}, doubled {resent_stored}); "
        f"access decided {len(decided)} unique, logged {acc_rows} (lost {max(0, len(decided) - acc_rows)}, "
        f"doubled {max(0, acc_rows - len(decided))}); outbox undelivered {undelivered}, handled twice {twice}"
        + ("" if not (lost_t or doubled_t) else f"; stored counter mismatch {lost_t}/{doubled_t}")
    )
    full_events = n_devices * 24 * 60 / args.interval + houses * args.access_per_house
    scale = 177 / len(compounds)
    print(
        f"extrapolation: this run is {len(compounds)} compounds x {args.hours:g} h; the full day of 177 compounds "
        f"is ~{full_events * scale:,.0f} events (devices every {args.interval:g} min, "
        f"{args.access_per_house:g} passages/house) -> ~{full_events * scale / (events / wall) / 60:,.0f} min "
        "at this run's events/s on one process"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def _device_ids() -> list[tuple[int, int]]:
    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        return [(int(a), int(b)) for a, b in s.execute(select(Device.id, Device.compound_id).order_by(Device.id))]


if __name__ == "__main__":
    main()
