"""Gateway throughput vs a bare counting subscriber, and crash/restart loss accounting.

Run: .venv/bin/python bench/bench_gateway.py [--n 20000] [--pg postgresql+psycopg://…/DBNAME] [--devices 5000]
        [--gateways 2] [--rounds 3] [--batch 500] [--profile] [--no-faults]

0. In process (issue 19): --devices extra devices are registered in the demo compound (so a batch carries
   mostly distinct devices, as in a district), then rounds interleave a bare Core INSERT of the same rows into
   device_message (batches of --batch, one commit each) with the intake (`parse_mqtt` + `store`, one commit per
   batch) on fresh messages; printed as msg/s and the ratio intake / bare INSERT. --profile prints a cProfile
   of one intake round. The bare INSERT is also the baseline for the gateways' drain rate below.

Both consumers read from the same private Mosquitto (started here so it can be killed) in the
same run: the baseline only counts QoS-1 messages; ours is `anju gateway` (validate, HMAC,
store idempotently, device state, rules, alarms) as its own process. Then the gateway is
SIGKILLed mid-stream and restarted, and the broker is restarted mid-stream; for each we print
published / stored / lost / duplicated.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_demo_db
from _mqtt import Broker, Publisher

ROOT = Path(__file__).resolve().parent.parent
ANJU = str(ROOT / ".venv" / "bin" / "anju")


BENCH_TYPES = ("smoke_detector", "gas_detector", "lift_controller", "ebike_charger", "water_meter", "door_magnet")


def add_devices(n: int) -> int:
    """Register n more devices in the demo compound (a district-like spread: a batch hits mostly distinct devices)."""
    from sqlalchemy import insert, select

    from anju.core.crypto import encrypt
    from anju.core.db import transaction
    from anju.devices.models import Device
    from anju.devices.service import SECRET_CONTEXT
    from anju.registry.models import Compound
    from anju.sim.devices_demo import demo_secret

    if n <= 0:
        return 0
    with transaction() as s:
        cid = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
        rows = []
        for i in range(n):
            key = f"SFXQ-BENCH-{i:06d}"
            rows.append(
                {
                    "compound_id": cid,
                    "device_key": key,
                    "name": f"bench {i}",
                    "device_type": BENCH_TYPES[i % len(BENCH_TYPES)],
                    "location": f"bench {i}",
                    "floor": 1 + i % 18,
                    "secret_enc": encrypt(demo_secret(key), context=SECRET_CONTEXT),
                    "heartbeat_seconds": 60,
                    "capabilities": {},
                    "active": True,
                }
            )
        for i in range(0, n, 1000):
            s.execute(insert(Device), rows[i : i + 1000])
    return n


def device_count() -> int:
    from sqlalchemy import func, select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        return int(s.execute(select(func.count()).select_from(Device)).scalar_one())


def payloads(n: int, seed: int = 7) -> list[tuple[str, bytes]]:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device
    from anju.devices.protocol import sign_mqtt, topic_for
    from anju.registry.models import Compound
    from anju.sim.devices_demo import demo_secret
    from anju.sim.simulator import SimDevice, normal

    with new_session() as s:
        devices = [
            SimDevice(d.device_key, d.device_type, demo_secret(d.device_key), 60, None, d.floor, "")
            for d in s.execute(
                select(Device)
                .join(Compound, Compound.id == Device.compound_id)
                .where(Compound.code == "SFXQ")
                .order_by(Device.id)
            ).scalars()
        ]
    r = random.Random(seed)
    run = f"{time.time_ns()}-{seed}"
    out = []
    for i in range(n):
        d = devices[i % len(devices)]
        data = normal(d, r)
        if d.device_type == "smoke_detector" and r.random() < 0.001:
            data = {"smoke": 7.0, "alarm": True}  # a few real alarms ride along
        topic = topic_for("SFXQ", d.key, "telemetry")
        msg = {"event_id": f"{run}-{i}", "ts": datetime.now(UTC).isoformat(), "data": data}
        out.append((topic, sign_mqtt(d.secret, topic, msg)))
    return out


def bare_rows(items: list[tuple[str, bytes]]) -> list[dict[str, object]]:
    """The rows the intake would store for `items`, for the bare INSERT baseline (ids resolved outside the timing)."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        ids = {k: (i, c) for k, i, c in s.execute(select(Device.device_key, Device.id, Device.compound_id)).all()}
    now = datetime.now(UTC)
    out: list[dict[str, object]] = []
    for topic, payload in items:
        d_id, c_id = ids[topic.split("/")[3]]
        msg = json.loads(payload)
        out.append(
            {
                "device_id": d_id,
                "compound_id": c_id,
                "event_id": f"bare-{msg['event_id']}",
                "kind": "telemetry",
                "device_at": now,
                "received_at": now,
                "data": msg["data"],
            }
        )
    return out


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and, on PostgreSQL, by the server backends of this database.

    On a shared, loaded machine wall time swings with other people's work; the CPU a path costs does not (much)."""
    from sqlalchemy import text

    from anju.core.db import get_engine, new_session

    total = time.process_time()
    if get_engine().dialect.name != "postgresql":
        return total
    with new_session() as s:
        pids = s.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars().all()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return total


def bare_insert(rows: list[dict[str, object]], batch: int) -> float:
    """msg/s of a bare Core INSERT of `rows` into device_message, one commit per batch."""
    from sqlalchemy import insert

    from anju.core.db import transaction
    from anju.devices.models import DeviceMessage

    t0 = time.perf_counter()
    for i in range(0, len(rows), batch):
        with transaction() as s:
            s.execute(insert(DeviceMessage), rows[i : i + batch])
    return len(rows) / (time.perf_counter() - t0)


def intake_inprocess(items: list[tuple[str, bytes]], batch: int) -> tuple[float, int]:
    """msg/s of parse_mqtt + store + commit per batch in this process; returns (rate, rows inserted)."""
    from anju.core.db import transaction, utcnow
    from anju.devices.intake_service import intake_service

    inserted = 0
    t0 = time.perf_counter()
    for i in range(0, len(items), batch):
        now = utcnow()
        with transaction() as s:
            acc, rej = intake_service.parse_mqtt(s, items[i : i + batch], now=now)
            out = intake_service.store(s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=now)
        inserted += out.inserted
    return len(items) / (time.perf_counter() - t0), inserted


def inprocess_section(n: int, rounds: int, batch: int, profile: bool) -> float:
    """Interleaved rounds of bare INSERT and intake; prints the figures, returns the median bare INSERT rate."""
    import statistics

    from anju.devices.intake_service import directory

    # Warm-up, one message per device: the device directory cache fills and every device has its state row (as in a
    # running district; a device's very first message inserts its state), and both paths are compiled once.
    warm = payloads(max(2 * batch, device_count()), seed=100)
    intake_inprocess(warm, batch)
    bare_insert(bare_rows(warm), batch)
    bare_r: list[float] = []
    ours_r: list[float] = []
    bare_c: list[float] = []  # messages per CPU second (this process + the database's backends)
    ours_c: list[float] = []
    first: list[tuple[str, bytes]] = []
    for k in range(rounds):
        items = payloads(n, seed=200 + k)
        first = first or items
        rows = bare_rows(items)
        c0 = cpu_seconds()
        bare_r.append(bare_insert(rows, batch))
        c1 = cpu_seconds()
        rate, inserted = intake_inprocess(items, batch)
        c2 = cpu_seconds()
        assert inserted == n, f"intake stored {inserted} of {n}"
        ours_r.append(rate)
        bare_c.append(n / max(c1 - c0, 1e-3))
        ours_c.append(n / max(c2 - c1, 1e-3))
        print(
            f"  round {k + 1}: bare INSERT {bare_r[-1]:>8,.0f} msg/s   intake {rate:>8,.0f} msg/s   "
            f"ratio {rate / bare_r[-1]:.2f}   per CPU second: {bare_c[-1]:>8,.0f} / {ours_c[-1]:>8,.0f} "
            f"ratio {ours_c[-1] / bare_c[-1]:.2f}   load {os.getloadavg()[0]:.2f}"
        )
    r_rate, r_ins = intake_inprocess(first, batch)  # the first round again: every message a duplicate
    assert r_ins == 0, f"resend stored {r_ins}"
    b, o = statistics.median(bare_r), statistics.median(ours_r)
    print(f"in process, batches of {batch}, {n} messages x {rounds} rounds (medians):")
    print(f"{'bare INSERT into device_message':40}{b:>10,.0f} msg/s")
    print(f"{'intake parse_mqtt + store':40}{o:>10,.0f} msg/s   ratio {o / b:.2f}x")
    print(f"{'intake, all resends (deduped)':40}{r_rate:>10,.0f} msg/s   ratio {r_rate / b:.2f}x")
    bc, oc = statistics.median(bare_c), statistics.median(ours_c)
    print(
        f"per CPU second (this process + database backends): bare INSERT {bc:,.0f} msg, intake {oc:,.0f} msg, "
        f"ratio {oc / bc:.2f}x"
    )
    if profile:
        import cProfile
        import pstats

        items = payloads(n, seed=300)
        directory.clear()
        intake_inprocess(payloads(batch, seed=301), batch)  # warm the cache again
        prof = cProfile.Profile()
        prof.enable()
        intake_inprocess(items, batch)
        prof.disable()
        st = pstats.Stats(prof)
        st.sort_stats("cumulative").print_stats(40)
        st.sort_stats("tottime").print_stats(25)
    return b


def stored_count(event_prefix: str | None = None) -> tuple[int, int]:
    """(rows, distinct (device, event_id)) in the telemetry store."""
    from sqlalchemy import text

    from anju.core.db import new_session

    with new_session() as s:
        rows = s.execute(text("SELECT max(id) FROM device_message")).scalar_one() or 0
        if event_prefix is None:
            return int(rows), int(rows)
        distinct = s.execute(
            text("SELECT count(*) FROM (SELECT DISTINCT device_id, event_id FROM device_message) x")
        ).scalar_one()
        total = s.execute(text("SELECT count(*) FROM device_message")).scalar_one()
        return int(total), int(distinct)


def start_gateway(
    db_url: str, broker: Broker, client_id: str, share_group: str | None = None
) -> subprocess.Popen[bytes]:
    """Start `anju gateway` and return once it has subscribed (its persistent session is complete)."""
    return start_gateways(db_url, broker, [client_id], share_group)[0]


def start_gateways(
    db_url: str, broker: Broker, client_ids: list[str], share_group: str | None = None
) -> list[subprocess.Popen[bytes]]:
    """Start one `anju gateway` per client id at once; return when all have subscribed (so a shared subscription's
    members start draining together, not one start-up time apart)."""
    env = {**os.environ, "ANJU_DATABASE_URL": db_url, "ANJU_MQTT_URL": broker.url}
    if share_group:
        env["ANJU_MQTT_SHARE_GROUP"] = share_group
    procs, logs = [], []
    for client_id in client_ids:
        log = broker.dir / f"gateway-{time.monotonic_ns()}.log"
        with open(log, "wb") as out:
            procs.append(subprocess.Popen([ANJU, "gateway", "--client-id", client_id], env=env, stdout=out, stderr=out))
        logs.append(log)
    wait_for(lambda: all(b"subscribed" in log.read_bytes() for log in logs), 60, 0.05)
    return procs


def wait_for(predicate, timeout: float, step: float = 0.05) -> float | None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.perf_counter()
        time.sleep(step)
    return None


def publish_all(broker: Broker, items: list[tuple[str, bytes]], on_progress=None) -> Publisher:  # type: ignore[no-untyped-def]
    pub = Publisher(broker.port)
    for i, (t, p) in enumerate(items):
        pub.publish(t, p)
        if on_progress is not None:
            on_progress(i)
    return pub


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--devices", type=int, default=5000, help="extra devices registered in the demo compound")
    ap.add_argument("--gateways", type=int, default=2, help="gateways in one shared subscription (0: skip)")
    ap.add_argument("--rounds", type=int, default=3, help="in-process rounds (bare INSERT, intake) interleaved")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--profile", action="store_true", help="cProfile one in-process intake round")
    ap.add_argument("--no-faults", action="store_true", help="skip the gateway kill and broker restart sections")
    ap.add_argument("--in-process-only", action="store_true", help="only section 0 (no broker, no gateways)")
    args = ap.parse_args()
    db_url, build = fresh_demo_db(args.pg, full=False)
    add_devices(args.devices)
    print(f"database: {db_url.split('@')[-1]} (demo built in {build:.1f} s; +{args.devices} devices)")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bare_rate = inprocess_section(args.n, args.rounds, args.batch, args.profile)
    if args.in_process_only:
        return
    broker = Broker()
    broker.start()
    try:
        items = payloads(args.n)

        # Throughput is measured as drain rate: the messages are queued by the broker for the
        # consumer's persistent session first, so a Python publisher (~6k msg/s) is not the limit.
        # 1. Baseline: a bare QoS-1 subscriber that only counts (same session settings).
        base_id = "bench-count"
        sub = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).parent / "_mqtt.py"),
                str(broker.port),
                "anju/+/devices/+/+",
                "0",
                base_id,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert sub.stdout is not None and sub.stdout.readline().strip() == "ready"
        sub.wait(10)  # session created, subscriber gone
        pub = publish_all(broker, items)
        pub.wait_all()
        pub.close()
        sub = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).parent / "_mqtt.py"),
                str(broker.port),
                "anju/+/devices/+/+",
                str(args.n),
                base_id,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert sub.stdout is not None
        sub.stdout.readline()
        first, last = (float(x) for x in sub.stdout.readline().split()[2:4])
        sub.wait(10)
        base_rate = args.n / (last - first)

        # 2. Ours: the gateway process drains the same backlog through the full pipeline.
        gw = start_gateway(db_url, broker, "bench-gw")  # subscribed: the session is persistent from here on
        gw.send_signal(signal.SIGTERM)
        gw.wait(20)
        pub = publish_all(broker, items)
        pub.wait_all()
        pub.close()
        before = stored_count()[0]
        gw = start_gateway(db_url, broker, "bench-gw")
        t_first = wait_for(lambda: stored_count()[0] > before, 60, 0.02)
        t_end = wait_for(lambda: stored_count()[0] - before >= args.n, 300, 0.05)
        ours_s = (t_end or time.perf_counter()) - (t_first or 0)
        rows, distinct = stored_count("all")
        ours_rate = args.n / ours_s
        print(f"{'':28}{'msg/s':>10}")
        print(f"{'bare subscriber (count)':28}{base_rate:>10,.0f}")
        print(f"{'anju gateway (full path)':28}{ours_rate:>10,.0f}")
        print(f"ratio gateway/bare: {ours_rate / base_rate:.2f}x   (target >= 0.5x and >= 5,000 msg/s)")
        print(f"stored {rows - before} of {args.n}: lost {args.n - (rows - before)}, duplicated {rows - distinct}")
        print(f"ratio gateway/bare INSERT (in process, above): {ours_rate / bare_rate:.2f}x")

        if args.gateways > 0:
            # 2b. N gateways in one shared subscription drain a backlog queued for their persistent sessions.
            gw.send_signal(signal.SIGTERM)
            gw.wait(20)
            group = f"bench{os.getpid()}"
            ids = [f"bench-share-{i}" for i in range(args.gateways)]
            gws = start_gateways(db_url, broker, ids, group)
            for g in gws:
                g.send_signal(signal.SIGTERM)
                g.wait(20)
            items_s = payloads(args.n, seed=11)
            pub = publish_all(broker, items_s)
            pub.wait_all()
            pub.close()
            before = stored_count()[0]
            gws = start_gateways(db_url, broker, ids, group)
            t_first = wait_for(lambda: stored_count()[0] > before, 60, 0.02)
            t_end = wait_for(lambda: stored_count()[0] - before >= args.n, 300, 0.05)
            share_s = (t_end or time.perf_counter()) - (t_first or 0)
            rows, distinct = stored_count("all")
            share_rate = args.n / share_s
            print(
                f"{args.gateways} gateways, shared subscription: {share_rate:,.0f} msg/s, "
                f"ratio to bare INSERT {share_rate / bare_rate:.2f}x; stored {rows - before} of {args.n}: "
                f"lost {args.n - (rows - before)}, duplicated {rows - distinct}; load {os.getloadavg()[0]:.2f}"
            )
            for g in gws:
                g.send_signal(signal.SIGTERM)
                g.wait(20)
            if args.no_faults:
                return
            gw = start_gateway(db_url, broker, "bench-gw")
        elif args.no_faults:
            gw.send_signal(signal.SIGTERM)
            gw.wait(20)
            return

        # 3. SIGKILL the gateway mid-stream, restart it.
        items2 = payloads(args.n, seed=8)
        before = stored_count()[0]
        killed = threading.Event()

        def kill_at(i: int) -> None:
            if i == args.n // 3 and not killed.is_set():
                killed.set()
                gw.send_signal(signal.SIGKILL)

        pub = publish_all(broker, items2, on_progress=kill_at)
        gw.wait(10)
        time.sleep(1.0)
        gw = start_gateway(db_url, broker, "bench-gw")
        wait_for(lambda: stored_count()[0] - before >= args.n, 300, 0.2)
        pub.wait_all()
        pub.close()
        time.sleep(1.0)
        rows, distinct = stored_count("all")
        got = rows - before
        print(
            f"gateway SIGKILL at {args.n // 3} + restart: published {args.n}, stored {got}, "
            f"lost {args.n - got}, duplicated {rows - distinct}"
        )

        # 4. Restart the broker mid-stream (graceful stop saves its persistent sessions).
        items3 = payloads(args.n, seed=9)
        before = stored_count()[0]
        restarted = threading.Event()

        def bounce(i: int) -> None:
            if i == args.n // 3 and not restarted.is_set():
                restarted.set()
                broker.stop(signal.SIGTERM)
                broker.start()

        pub = publish_all(broker, items3, on_progress=bounce)
        pub.wait_all(300)
        wait_for(lambda: stored_count()[0] - before >= args.n, 300, 0.2)
        time.sleep(1.0)
        rows, distinct = stored_count("all")
        got = rows - before
        print(
            f"broker restart at {args.n // 3}: published {args.n}, stored {got}, lost {args.n - got}, "
            f"duplicated {rows - distinct}"
        )
        pub.close()
        gw.send_signal(signal.SIGTERM)
        gw.wait(20)
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
