"""A simulated district (issue 19): N compounds of 200-3,000 houses, a day of device traffic through the real intake.

The district and its traffic are the product's (`anju.sim.district`, which `anju simulate --district N` plays too):
this script adds the timings, the baselines, the faults and the ledger printout.

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

7. Visitors, work orders, patrols (this cut): the guard desk registers walk-in visitors at --visitors-per-house a
   day (shaped like the passages), staff open common-area repair orders at --orders-per-house a day, and every
   compound walks its 6-checkpoint patrol route every --patrol-hours (QR check-ins queued on the phone, 5% sent
   twice with the same client id: must be one row). Each is its own transaction through its domain's service.
8. Gateways (--gateways N, this cut): telemetry is published to a private Mosquitto and consumed by N `anju gateway`
   processes in one MQTT shared subscription (ANJU_MQTT_SHARE_GROUP, each its own client id) while this process
   plays the rest of the day; at three quarters of the day gateway 0 is SIGKILLed and restarted (its un-acked
   messages come back). A second baseline, one bare single-row INSERT + COMMIT per row into access_log, is what
   the one-transaction-per-event kinds are compared with.

Printed: district build time, messages/s through the intake vs the bare insert, p50/p99 of a batch's store
latency and of an alarm's latency (message batch arrival → alarm row committed by the handler), simulated hours
per wall second, database growth per compound-day, and the rollup job's time over the day.

    .venv/bin/python bench/bench_district_day.py [--compounds 177] [--hours 24] [--interval 60] [--pg URL] \
        [--gateways 2] [--seed 19]

Not covered yet: vehicles; outbox workers in several processes (one in-process worker delivers).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
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
    ap.add_argument("--visitors-per-house", type=float, default=0.15, help="walk-in visitors per house per day")
    ap.add_argument("--orders-per-house", type=float, default=0.02, help="work orders per house per day")
    ap.add_argument("--patrol-hours", type=float, default=2.0, help="hours between a compound's patrol rounds")
    ap.add_argument("--gateways", type=int, default=0, help="gateway processes (shared subscription); 0: in-process")
    ap.add_argument("--seed", type=int, default=19, help="the district's and the day's seed")
    args = ap.parse_args()

    url, built = fresh_demo_db(args.pg, full=False)
    print(f"demo database {url.split('://')[0]} built in {built:.1f} s; load average {os.getloadavg()[0]:.1f}")

    from sqlalchemy import func, insert, select

    from anju.access.models import AccessLog
    from anju.alarms.models import Alarm
    from anju.core.db import new_session, transaction
    from anju.core.rollup import run_rollups
    from anju.devices.intake_service import directory, intake_service
    from anju.devices.models import Device, DeviceMessage
    from anju.sim.district import DayRates, DistrictDay, GatewayPool, build_district, plan_district
    from anju.startup import register_all

    register_all()
    t0 = time.perf_counter()
    world = build_district(plan_district(args.compounds, seed=args.seed), seed=args.seed)
    houses, n_devices = sum(world.houses_of.values()), world.devices
    print(
        f"district: {len(world.codes)} compounds, {houses} houses, {n_devices} devices, "
        f"{sum(len(p) for p in world.gates_of.values())} terminal-gate pairs in {time.perf_counter() - t0:.1f} s"
    )
    rates = DayRates(
        interval=args.interval,
        access_per_house=args.access_per_house,
        visitors_per_house=args.visitors_per_house,
        orders_per_house=args.orders_per_house,
        patrol_hours=args.patrol_hours,
        batch=args.batch,
    )
    day = DistrictDay(world, hours=args.hours, start_hour=args.start_hour, seed=args.seed, rates=rates)
    broker = gateways = None
    if args.gateways:  # a private Mosquitto, so the run owns its sessions
        from _mqtt import Broker

        broker = Broker()
        broker.start()
        gateways = GatewayPool(database_url=url, mqtt_url=broker.url, n=args.gateways)
    size0 = db_size(url)
    with new_session() as s:
        alarms0 = int(s.execute(select(func.count()).select_from(Alarm)).scalar_one())

    # The day: each slot (interval) every device sends once; slots are replayed as fast as the intake goes.
    slots, day0, run = day.slots, day.day0, day.run
    batch_ms: list[float] = []
    alarm_ms: list[float] = []
    access_n = 0
    access_wall = 0.0
    secs = {"visitors": 0.0, "work orders": 0.0, "patrol check-ins": 0.0}
    done = dict.fromkeys(secs, 0)
    killed_held = resent = resent_stored = 0
    last_chunk: list[tuple[str, bytes]] = []
    last_at = day0
    alarm_pub: dict[str, float] = {}
    slot_pub: dict[int, float] = {}  # with gateways: when each slot's publishing started (wall clock)
    publish_wall = 0.0
    wall0 = time.perf_counter()
    for slot in range(slots):
        at = day.at(slot)
        kill_now = slot == slots // 2  # fault: this slot's events are left to a worker that dies holding them
        if slot == (3 * slots) // 4 and gateways is not None:  # fault: a gateway dies, its session resumes
            gateways.kill_and_restart(0)
        elif slot == (3 * slots) // 4 and last_chunk:  # fault: gateway restart, the broker redelivers a batch
            directory.clear()
            with transaction() as s:
                acc, rej = intake_service.parse_mqtt(s, last_chunk, now=last_at + timedelta(seconds=30))
                out = intake_service.store(
                    s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at
                )
            resent += len(last_chunk)
            resent_stored += out.inserted
        ac0 = time.perf_counter()
        access_n += day.access(slot)
        access_wall += time.perf_counter() - ac0
        for kind, step in (
            ("visitors", day.visitors),
            ("work orders", day.work_orders),
            ("patrol check-ins", day.patrols),
        ):
            k0 = time.perf_counter()
            done[kind] += step(slot)
            secs[kind] += time.perf_counter() - k0
        n_alarms = len(day.alarm_devices)
        items = day.telemetry(slot)
        for key in day.alarm_devices[n_alarms:]:
            alarm_pub.setdefault(key, time.time())  # with gateways: published about now (below)
        if gateways is not None:  # the gateways store them in their own processes; this one only publishes
            p0 = time.perf_counter()
            slot_pub[slot] = time.time()
            gateways.publish(items)
            publish_wall += time.perf_counter() - p0
            if not kill_now:
                day.deliver()
            else:
                killed_held = kill_a_worker_mid_batch(url)
            continue
        for i in range(0, len(items), args.batch):
            chunk = items[i : i + args.batch]
            b0 = time.perf_counter()
            out = day.store(chunk, at=at)
            last_chunk, last_at = chunk, at
            b1 = time.perf_counter()
            batch_ms.append((b1 - b0) * 1000)
            if not kill_now:
                day.deliver()
                if out.alarms_raised:
                    alarm_ms.append((time.perf_counter() - b0) * 1000)
        if kill_now:
            killed_held = kill_a_worker_mid_batch(url)
    gw_drain = 0.0
    if gateways is not None:  # until the gateways stored every message (or 10 minutes went by without progress)
        d0 = time.perf_counter()
        if not gateways.wait_stored(run, day.sent):
            print(f"gateways stalled before storing all {day.sent} messages; see {gateways.logs}")
        gw_drain = time.perf_counter() - d0
    # The killed worker's lease runs out; everything left is delivered by the surviving worker.
    day.settle(10)
    wall = time.perf_counter() - wall0
    gw_stats = ""
    if gateways is not None:
        gw_stats = gateways.stop()
    if broker is not None:
        broker.stop()
    size1 = db_size(url)
    ledger = day.ledger()
    undelivered, twice = day.outbox_health()
    with new_session() as s:
        alarms = int(s.execute(select(func.count()).select_from(Alarm)).scalar_one()) - alarms0
        if gateways is not None:  # publish -> the alarm row written in a gateway's batch (its clock, same machine)
            id_of = dict(s.execute(select(Device.device_key, Device.id).where(Device.device_key.in_(alarm_pub))).all())
            made = dict(
                s.execute(
                    select(Alarm.device_id, func.min(Alarm.created_at))
                    .where(Alarm.device_id.in_(list(id_of.values())))
                    .group_by(Alarm.device_id)
                ).all()
            )
            alarm_ms = [(made[id_of[k]].timestamp() - t) * 1000 for k, t in alarm_pub.items() if id_of.get(k) in made]
    r0 = time.perf_counter()
    reports = run_rollups()
    rollup_s = time.perf_counter() - r0

    # Baseline: the same number of rows, bare Core INSERTs in the same batch size.
    ids = [(d_id, c_id) for d_id, c_id in _device_ids()]
    sent = rows_total = day.sent
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
    # Second baseline: one bare single-row INSERT + COMMIT per row into access_log (what a per-event transaction
    # costs without any rule), for the kinds that commit one event at a time.
    c_rows = min(3000, max(500, access_n))
    cid0, (t0_id, ap0_id) = next((c, p[0]) for c, p in world.gates_of.items() if p)
    c_wall0 = time.perf_counter()
    for _ in range(c_rows):
        with transaction() as s:
            s.execute(
                insert(AccessLog).values(
                    compound_id=cid0,
                    access_point_id=ap0_id,
                    terminal_id=t0_id,
                    method="card",
                    decision="deny",
                    reason="unknown_credential",
                    direction="in",
                    source="online",
                    server_at=day0,
                    skew_flagged=False,
                )
            )
    commit_rate = c_rows / (time.perf_counter() - c_wall0)

    other_wall = sum(secs.values())
    tel_wall = wall - access_wall - other_wall
    if gateways is not None:
        # The gateways work while this process plays the other traffic: their time is, per slot, from the start of
        # its publishing to the receive time the gateways stamped on the slot's last stored message (a batch is
        # stamped when it is taken, before its commit), summed over the slots.
        with new_session() as s:
            tel_wall = 0.0
            for slot_no, t_pub in slot_pub.items():
                last = s.execute(
                    select(func.max(DeviceMessage.received_at)).where(DeviceMessage.event_id.like(f"{run}-{slot_no}-%"))
                ).scalar_one()
                tel_wall += max(0.0, last.timestamp() - t_pub) if last is not None else 0.0
    rate, base_rate = sent / tel_wall, rows_total / b_wall
    stored = day.stored if gateways is None else ledger[0].stored
    print(
        f"day: {slots} slots x {len(day.devices)} devices = {sent} messages ({stored} stored), "
        f"{day.alarm_msgs} alarm messages"
    )
    if gateways is not None:
        print(
            f"intake through {args.gateways} gateway processes (MQTT shared subscription, QoS 1, ack after commit): "
            f"{rate:,.0f} msg/s from publish to stored ({tel_wall:.1f} s summed over the slots, concurrent with the "
            f"other traffic; publishing took {publish_wall:.1f} s, the gateways drained {gw_drain:.1f} s after the day); "
            f"per gateway received {gw_stats}"
        )
    else:
        print(
            "intake (parse+HMAC+validate+store+state+rules+outbox, then handlers): "
            f"{rate:,.0f} msg/s in {tel_wall:.1f} s"
        )
    print(
        f"baseline bare INSERT of the same rows:                               {base_rate:,.0f} msg/s in {b_wall:.1f} s"
    )
    print(f"ratio intake / bare insert: {rate / base_rate:.2f}")
    print(f"simulated time: {args.hours:g} h in {wall:.0f} s = {args.hours * 3600 / wall:,.0f}x real time")
    if gateways is None:  # with gateways the batches are theirs (their logs), and so is the alarm's path
        print(
            f"batch store latency ({args.batch} msgs): p50 {pct(batch_ms, 0.5):.0f} ms, p99 {pct(batch_ms, 0.99):.0f} ms"
        )
    print(
        (
            "alarm latency (publish -> alarm row in the gateway's batch): "
            if gateways is not None
            else "alarm latency (batch arrival -> alarm committed by its handler): "
        )
        + f"{len(alarm_ms)} {'alarms' if gateways is not None else 'batches'}, "
        f"p50 {pct(alarm_ms, 0.5):.0f} ms, p99 {pct(alarm_ms, 0.99):.0f} ms; {alarms} alarms raised"
    )
    per_cday = (size1 - size0) / len(world.codes) / (args.hours / 24)
    print(f"database growth: {(size1 - size0) / 1e6:.1f} MB = {per_cday / 1e6:.2f} MB per compound-day")
    print(f"rollup job over the day: {rollup_s:.1f} s ({', '.join(f'{r.name} {r.rows} rows' for r in reports)})")
    acc_rate = access_n / max(access_wall, 1e-9)
    print(
        f"access: {access_n} card decisions ({day.replays} offline replays) in {access_wall:.1f} s = "
        f"{acc_rate:,.0f} decisions/s, each its own commit"
    )
    print(f"baseline bare single-row INSERT + COMMIT into access_log: {commit_rate:,.0f} rows/s ({c_rows} rows)")
    print(f"ratio access decisions / bare commit: {acc_rate / commit_rate:.2f}")
    for kind, k_secs in secs.items():
        k_rate = done[kind] / max(k_secs, 1e-9)
        print(
            f"{kind}: {done[kind]} in {k_secs:.1f} s = {k_rate:,.1f}/s, each its own commit; "
            f"ratio / bare commit {k_rate / commit_rate:.2f}"
        )
    events = day.events()
    print(f"all traffic: {events} events in {wall:.1f} s = {events / wall:,.0f} events/s sustained")
    if gateways is not None:
        print(
            f"faults: worker SIGKILLed holding {killed_held} events; gateway 0 SIGKILLed and restarted at 3/4 of the "
            "day (its persistent session resumed)"
        )
    else:
        print(
            f"faults: worker SIGKILLed holding {killed_held} events; gateway restart redelivered {resent} messages, "
            f"{resent_stored} stored again"
        )
    for line in ledger:
        print(f"ledger {line.kind}: sent {line.sent}, stored {line.stored} (lost {line.lost}, doubled {line.doubled})")
    print(f"ledger outbox: undelivered {undelivered}, handled twice {twice}")
    if gateways is None and (day.stored != ledger[0].stored - ledger[0].doubled):
        print(f"ledger: the intake's stored counter {day.stored} differs from the rows {ledger[0].stored}")
    full_events = n_devices * 24 * 60 / args.interval + houses * args.access_per_house
    scale = 177 / len(world.codes)
    print(
        f"extrapolation: this run is {len(world.codes)} compounds x {args.hours:g} h; the full day of 177 compounds "
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
