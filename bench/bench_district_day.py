"""A simulated district (issue 19): N compounds of 200-3,000 houses, a day of their traffic through the real services,
played once in one process and once by M worker processes in the same run.

The district and its traffic are the product's (`anju.sim.district`, `anju.sim.district_workers`; `anju simulate
--district N [--workers M]` plays the same): this script adds the timings, the baselines, the faults and the ledger.

1. District: a fresh database (SQLite by default, --pg URL of an empty PostgreSQL database), then --compounds
   compounds built with the registry's structure service (random sizes of 200-3,000 houses), their devices (smoke
   detectors on every floor of every unit, lifts, gas, pumps, tanks, manhole covers, chargers…), the demo's gates
   and terminals, a car park with an entry and an exit lane on the south gate's barrier and camera, a patrol route.
2. Day (--hours from --start-hour, China time; default the morning peak): every device reports at its type's typical
   rate (`anju.sim.district_rates`: lifts and pumps every 5 min, smoke detectors every 6 h, meters hourly…), alarm
   episodes at the type's incident rate times --alarm-scale (smoke, gas, leaks, manhole covers, lifts, pumps, tanks,
   SOS buttons, street lights); card passages (4 per house a day, 2% offline replays), barrier-gate plate captures
   (1.2 per house a day, out in the morning and in in the evening, 1% camera retries), walk-in visitors, work
   orders and patrol rounds, all in simulated-time order, each its own transaction through its domain's service;
   telemetry through the intake in batches of at most --batch messages, handed over at most --flush-ms after the
   first (or published to --gateways gateway processes in an MQTT shared subscription).
3. Run A, one process: the day played here, the outbox delivered here between slots. Faults: mid-day an outbox
   worker in its own process takes a batch lease and is SIGKILLed (its events come back after the lease); at three
   quarters the gateway "restarts" and the broker redelivers its last batch (or, with --gateways, gateway 0 is
   SIGKILLed and restarted).
4. Run B, --workers M: the same district, the next day (a different day seed, so that its alarms are new ones), M
   traffic processes each playing a share of the compounds and M outbox worker processes delivering meanwhile;
   --kill-worker-after seconds in, outbox worker 0 is SIGKILLed and restarted (its claims come back after the lease).
5. Baselines in the same run: the telemetry rows of the day as bare Core INSERTs in the same batch size, and bare
   single-row INSERT + COMMIT into access_log (what one transaction per event costs without any rule).

Printed per run: wall time, events/s sustained, per kind its process-seconds and rate, alarm latency (device send,
wall clock at publish/store → the alarm committed), the ledger (sent / stored / lost / doubled per kind, alarms per
kind, the outbox); then B/A ratios and the full day of 177 compounds × 24 h extrapolated from run B's per-kind
costs and its measured parallelism.

    .venv/bin/python bench/bench_district_day.py [--compounds 6] [--hours 2] [--start-hour 7] [--workers 2] \
        [--pg URL] [--gateways 0] [--alarm-scale 20] [--seed 19]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

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


def cpu_seconds() -> float:
    """CPU (user + system) of this process and of its children reaped so far."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class PgCpu:
    """CPU used by the PostgreSQL backends serving this database (same machine): a sampler reads each backend's
    /proc stat every 0.2 s and keeps its last value (a backend that exits between samples loses < 0.2 s)."""

    def __init__(self, url: str) -> None:
        import threading

        self.url, self.seen, self.stop = url, dict[int, float](), threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        from sqlalchemy import text

        from anju.core.db import new_session

        while not self.stop.is_set():
            try:
                with new_session() as s:
                    pids = list(
                        s.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
                    )
                for pid in pids:
                    try:
                        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        self.seen[pid] = (int(f[11]) + int(f[12])) / self.tick
                    except (OSError, IndexError, ValueError):
                        pass
            except Exception:  # noqa: BLE001  (a sampler never stops the bench)
                pass
            self.stop.wait(0.2)

    def total(self) -> float:
        return sum(self.seen.values())


def report(
    name: str, counts: Any, wall: float, run: str, compound_ids: list[int], gateways: object
) -> tuple[float, bool]:
    """Print one run's figures and ledger; returns (events/s, ledger clean)."""
    from anju.sim.district import DistrictDay, alarm_latencies_ms, day_ledger, pct

    events = counts.events()
    rate = events / wall
    sent = counts.sent
    print(f"[{name}] {events} events in {wall:.1f} s = {rate:,.0f} events/s sustained")
    mix = ", ".join(f"{k} {v}" for k, v in sorted(sent.items(), key=lambda kv: -kv[1]) if not k.startswith("alarm "))
    print(f"[{name}] event mix: {mix}")
    print(
        f"[{name}] telemetry by device type: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.by_type.items(), key=lambda kv: -kv[1]))
    )
    for kind, secs in counts.secs.items():
        if kind not in sent:
            print(f"[{name}]   {kind}: {secs:.1f} s")
            continue
        n = sent.get(kind, 0) + (sent.get("access replays", 0) if kind == "access decisions" else 0)
        print(f"[{name}]   {kind}: {n} in {secs:.1f} process-s = {n / max(secs, 1e-9):,.1f}/s per process")
    if counts.batch_ms:
        print(
            f"[{name}] telemetry batch store: {len(counts.batch_ms)} batches, p50 {pct(counts.batch_ms, 0.5):.0f} ms, "
            f"p99 {pct(counts.batch_ms, 0.99):.0f} ms"
        )
    lat = alarm_latencies_ms(counts) if gateways is not None else counts.alarm_ms
    print(
        f"[{name}] alarm latency (device send -> alarm committed): {len(lat)} new alarms, "
        f"p50 {pct(lat, 0.5):.0f} ms, p99 {pct(lat, 0.99):.0f} ms (target p99 <= 1,000 ms)"
    )
    clean = True
    for line in day_ledger(run, counts, compound_ids):
        clean &= not (line.lost or line.doubled)
        extra = f" ({line.sent - line.expected} into an open alarm)" if line.expected not in (None, line.sent) else ""
        print(
            f"[{name}] ledger {line.kind}: sent {line.sent}, stored {line.stored} "
            f"(lost {line.lost}, doubled {line.doubled}){extra}"
        )
    undelivered, twice = DistrictDay.outbox_health()
    clean &= not (undelivered or twice)
    print(f"[{name}] ledger outbox: undelivered {undelivered}, handled twice {twice}")
    return rate, clean


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=6)
    ap.add_argument("--hours", type=float, default=2.0, help="simulated hours of the day")
    ap.add_argument("--start-hour", type=int, default=7, help="China-time hour the simulated day starts at")
    ap.add_argument("--workers", type=int, default=2, help="run B: traffic processes and outbox workers")
    ap.add_argument("--slot", type=float, default=15.0, help="simulated minutes played at a time")
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--flush-ms", type=float, default=100.0)
    ap.add_argument("--pg", default=None, help="URL of an empty PostgreSQL database")
    ap.add_argument("--access-per-house", type=float, default=4.0, help="card passages per house per day")
    ap.add_argument("--vehicles-per-house", type=float, default=1.2, help="barrier-gate passages per house per day")
    ap.add_argument("--visitors-per-house", type=float, default=0.15, help="walk-in visitors per house per day")
    ap.add_argument("--orders-per-house", type=float, default=0.02, help="work orders per house per day")
    ap.add_argument("--patrol-hours", type=float, default=2.0, help="hours between a compound's patrol rounds")
    ap.add_argument("--alarm-scale", type=float, default=20.0, help="multiplies the devices' alarm rates")
    ap.add_argument("--gateways", type=int, default=0, help="gateway processes (shared subscription); 0: in-process")
    ap.add_argument(
        "--kill-worker-after", type=float, default=60.0, help="run B: SIGKILL outbox worker 0 after this many seconds"
    )
    ap.add_argument("--skip-single", action="store_true", help="skip run A (one process)")
    ap.add_argument("--seed", type=int, default=19, help="the district's and the day's seed")
    args = ap.parse_args()

    url, built = fresh_demo_db(args.pg, full=False)
    print(f"demo database {url.split('://')[0]} built in {built:.1f} s; load average {os.getloadavg()[0]:.1f}")

    from sqlalchemy import insert

    from anju.access.models import AccessLog
    from anju.core.db import transaction
    from anju.core.rollup import run_rollups
    from anju.devices.intake_service import directory, intake_service
    from anju.devices.models import DeviceMessage
    from anju.sim.district import DayRates, DistrictDay, GatewayPool, build_district, plan_district
    from anju.sim.district_rates import REPORT_MINUTES
    from anju.sim.district_workers import play_parallel
    from anju.startup import register_all

    register_all()
    t0 = time.perf_counter()
    world = build_district(plan_district(args.compounds, seed=args.seed), seed=args.seed)
    houses, n_devices = sum(world.houses_of.values()), world.devices
    cids = list(world.codes)
    print(
        f"district: {len(world.codes)} compounds, {houses} houses, {n_devices} devices, "
        f"{sum(len(p) for p in world.gates_of.values())} terminal-gate pairs, {len(world.lanes_of)} car parks "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    rates = DayRates(
        slot=args.slot,
        access_per_house=args.access_per_house,
        vehicles_per_house=args.vehicles_per_house,
        visitors_per_house=args.visitors_per_house,
        orders_per_house=args.orders_per_house,
        patrol_hours=args.patrol_hours,
        alarm_scale=args.alarm_scale,
        batch=args.batch,
        flush_ms=args.flush_ms,
    )
    broker = gateways = None
    if args.gateways:  # a private Mosquitto, so the run owns its sessions
        from _mqtt import Broker

        broker = Broker()
        broker.start()
        gateways = GatewayPool(database_url=url, mqtt_url=broker.url, n=args.gateways)
    size0 = db_size(url)
    pg_cpu = PgCpu(url) if url.startswith("postgresql") else None

    # -- Run A: one process plays the day and delivers the outbox between slots ----------------------------------
    rate_a = 0.0
    clean = True
    sent_tel = 0
    if not args.skip_single:
        day = DistrictDay(world, hours=args.hours, start_hour=args.start_hour, seed=args.seed, rates=rates)
        faults = {"held": 0, "resent": 0, "restored": 0}
        fault_s = [0.0]  # wall time spent setting faults up (a process to spawn), not counted in the day's time

        def kill_worker(slot: int) -> None:
            if slot == day.slots // 2:  # this slot's events are left to an outbox worker that dies holding them
                f0 = time.perf_counter()
                faults["held"] = kill_a_worker_mid_batch(url)
                fault_s[0] += time.perf_counter() - f0

        def fault(slot: int) -> None:
            if slot == (3 * day.slots) // 4 and slot:
                if gateways is not None:
                    gateways.kill_and_restart(0)
                elif day.last_chunk:  # the gateway restarts; the broker redelivers the batch it had not acked
                    directory.clear()
                    with transaction() as s:
                        at = day.last_at + timedelta(seconds=30)
                        acc, rej = intake_service.parse_mqtt(s, day.last_chunk, now=at)
                        out = intake_service.store(
                            s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at
                        )
                    faults["resent"] += len(day.last_chunk)
                    faults["restored"] += out.inserted

        print(
            f"[A] day from {day.day0:%Y-%m-%d %H:%M} UTC, {day.slots} slots of {args.slot:g} min; load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        w0, c0, pg0 = time.perf_counter(), cpu_seconds(), pg_cpu.total() if pg_cpu else 0.0
        day.play(gateways=gateways, on_slot=fault, before_deliver=kill_worker)
        cpu_a = (cpu_seconds() - c0, (pg_cpu.total() - pg0) if pg_cpu else 0.0)
        wall_a = time.perf_counter() - w0 - fault_s[0]
        rate_a, clean_a = report("A", day.counts, wall_a, day.run, cids, gateways)
        ev_a = day.counts.events()
        print(
            f"[A] CPU: Python {cpu_a[0]:.1f} s, PostgreSQL {cpu_a[1]:.1f} s = "
            f"{(cpu_a[0] + cpu_a[1]) / ev_a * 1000:.1f} ms per event (the doomed worker's start included)"
        )
        clean &= clean_a
        sent_tel += day.counts.sent.get("telemetry", 0)
        print(
            f"[A] faults: outbox worker SIGKILLed holding {faults['held']} events ({fault_s[0]:.1f} s to start it, "
            "not counted); "
            + (
                "gateway 0 SIGKILLed and restarted at 3/4 of the day"
                if gateways is not None
                else f"gateway restart redelivered {faults['resent']} messages, {faults['restored']} stored again"
            )
        )
        print(
            f"[A] simulated {args.hours:g} h in {wall_a:.0f} s = {args.hours * 3600 / wall_a:,.0f}x real time; "
            f"load average {os.getloadavg()[0]:.1f}"
        )

    # -- Run B: M traffic processes and M outbox workers ----------------------------------------------------------
    print(
        f"[B] {args.workers} traffic processes + {args.workers} outbox workers; load average {os.getloadavg()[0]:.1f}"
    )
    c0, pg0 = cpu_seconds(), pg_cpu.total() if pg_cpu else 0.0
    res = play_parallel(
        world,
        url=url,
        n=args.compounds,
        seed=args.seed,
        day_seed=args.seed + 1,
        hours=args.hours,
        start_hour=args.start_hour,
        rates=rates,
        workers=args.workers,
        mqtt_url=broker.url if broker is not None else None,
        kill_worker_after=args.kill_worker_after,
    )
    if gateways is not None:
        gateways.wait_stored(res.run, res.counts.sent.get("telemetry", 0))
    cpu_b = (cpu_seconds() - c0, (pg_cpu.total() - pg0) if pg_cpu else 0.0)
    wall_b = res.wall - res.startup + res.settle
    print(
        f"[B] day from {res.day0:%Y-%m-%d %H:%M} UTC; traffic {res.wall:.1f} s (of which the slowest process's start "
        f"{res.startup:.1f} s), outbox drained {res.settle:.1f} s after it"
        + (
            f"; fault: outbox worker 0 SIGKILLed {args.kill_worker_after:g} s in and restarted (what it held came "
            "back after its lease)"
            if res.killed_worker
            else ""
        )
    )
    rate_b, clean_b = report("B", res.counts, wall_b, res.run, cids, gateways)
    ev_b = res.counts.events()
    cpu_ev = (cpu_b[0] + cpu_b[1]) / ev_b
    print(
        f"[B] CPU: Python {cpu_b[0]:.1f} s (traffic and outbox processes, their start included), PostgreSQL "
        f"{cpu_b[1]:.1f} s = {cpu_ev * 1000:.1f} ms per event"
    )
    clean &= clean_b
    sent_tel += res.counts.sent.get("telemetry", 0)
    print(
        f"[B] simulated {args.hours:g} h in {wall_b:.0f} s = {args.hours * 3600 / wall_b:,.0f}x real time; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if gateways is not None:
        print(f"gateways: per gateway received {gateways.stop()}")
    if broker is not None:
        broker.stop()
    size1 = db_size(url)
    r0 = time.perf_counter()
    reports = run_rollups()
    rollup_s = time.perf_counter() - r0

    # -- Baselines ------------------------------------------------------------------------------------------------
    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        ids = [(int(a), int(b)) for a, b in s.execute(select(Device.id, Device.compound_id).order_by(Device.id))]
    rows_total, n = max(sent_tel, args.batch), 0
    day0 = res.day0
    b0 = time.perf_counter()
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
    base_rate = rows_total / (time.perf_counter() - b0)
    c_rows = 2000
    cid0, (t0_id, ap0_id) = next((c, p[0]) for c, p in world.gates_of.items() if p)
    c0 = time.perf_counter()
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
    commit_rate = c_rows / (time.perf_counter() - c0)
    print(f"baseline bare INSERT of telemetry rows in batches of {args.batch}: {base_rate:,.0f} rows/s")
    print(f"baseline bare single-row INSERT + COMMIT into access_log: {commit_rate:,.0f} rows/s (one process)")
    cb = res.counts
    for kind in ("telemetry", "access decisions", "vehicles"):
        secs = cb.secs.get(kind, 0.0)
        k_n = cb.sent.get(kind, 0) + (cb.sent.get("access replays", 0) if kind == "access decisions" else 0)
        if secs:
            base = base_rate if kind == "telemetry" else commit_rate
            print(f"ratio {kind} per process (run B) / its bare baseline: {k_n / secs / base:.2f}")
    print(
        f"ratio events/s B ({args.workers} workers) / A (1 process): "
        + (f"{rate_b / rate_a:.2f}" if rate_a else "n/a (run A skipped)")
    )
    print(f"database growth: {(size1 - size0) / 1e6:.1f} MB for both runs")
    print(f"rollup job over both days: {rollup_s:.1f} s ({', '.join(f'{r.name} {r.rows} rows' for r in reports)})")

    # -- Extrapolation to 177 compounds x 24 h from run B's per-kind costs and parallelism -------------------------
    full = plan_district(177, seed=args.seed)
    full_houses = sum(p.houses for p in full)
    scale = full_houses / houses
    tel_full = 0.0
    from collections import Counter

    with new_session() as s:
        types = Counter(str(t) for (t,) in s.execute(select(Device.device_type).where(Device.compound_id.in_(cids))))
    for t, k in types.items():
        tel_full += k * scale * 1440 / REPORT_MINUTES.get(t, 60.0)
    full_n = {
        "telemetry": tel_full,
        "access decisions": full_houses * args.access_per_house,
        "vehicles": full_houses * args.vehicles_per_house,
        "visitors": full_houses * args.visitors_per_house,
        "work orders": full_houses * args.orders_per_house,
        "patrol check-ins": 177 * 6 * 24 / args.patrol_hours,
    }
    if args.gateways:
        print(
            "note: with --gateways the telemetry is stored in the gateway processes, which this extrapolation does not "
            "time (their CPU is not counted either): extrapolate from a run without --gateways"
        )
    proc_secs = sum(cb.secs.values())
    parallel = proc_secs / max(wall_b, 1e-9)  # how many processes' worth of work the run achieved at once
    need = 0.0
    for kind, k_full in full_n.items():
        k_n = cb.sent.get(kind, 0) + (cb.sent.get("access replays", 0) if kind == "access decisions" else 0)
        per = cb.secs.get(kind, 0.0) / k_n if k_n else 0.0
        need += k_full * per
        print(f"full day {kind}: ~{k_full:,.0f} events x {per * 1000:.1f} ms per event per process")
    total_full = sum(full_n.values())
    print(
        f"extrapolation: 177 compounds ({full_houses:,} houses, ~{n_devices * scale:,.0f} devices) x 24 h = "
        f"~{total_full:,.0f} events -> ~{need / parallel / 60:,.0f} min at run B's parallelism {parallel:.2f} "
        f"(target <= 10 min; {args.workers} traffic processes on {os.cpu_count()} cores)"
    )
    cpu_full = (cpu_b[0] + cpu_b[1]) * need / max(proc_secs, 1e-9)  # run B's CPU, scaled by the full day's kinds
    print(
        f"CPU bound: run B used {cpu_ev * 1000:.1f} ms of CPU per event (Python + PostgreSQL); scaled by kind to the "
        f"full day: ~{cpu_full / 3600:,.1f} CPU-hours = ~{cpu_full / 60 / 2:,.0f} min on 2 idle cores"
    )
    print(f"ledger: {'0 lost / 0 doubled in both runs' if clean else 'LOST OR DOUBLED EVENTS (see above)'}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
