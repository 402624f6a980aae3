"""Gateway throughput vs a bare counting subscriber, and crash/restart loss accounting.

Run: .venv/bin/python bench/bench_gateway.py [--n 20000] [--pg postgresql+psycopg://…/DBNAME]

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


def payloads(n: int, seed: int = 7) -> list[tuple[str, bytes]]:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device
    from anju.devices.protocol import sign_mqtt, topic_for
    from anju.sim.devices_demo import demo_secret
    from anju.sim.simulator import SimDevice, normal

    with new_session() as s:
        devices = [
            SimDevice(d.device_key, d.device_type, demo_secret(d.device_key), 60, None, d.floor, "")
            for d in s.execute(select(Device).order_by(Device.id)).scalars()
        ]
    r = random.Random(seed)
    run = str(int(time.time()))
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


def start_gateway(db_url: str, broker: Broker, client_id: str) -> subprocess.Popen[bytes]:
    """Start `anju gateway` and return once it has subscribed (its persistent session is complete)."""
    env = {**os.environ, "ANJU_DATABASE_URL": db_url, "ANJU_MQTT_URL": broker.url}
    log = broker.dir / f"gateway-{time.monotonic_ns()}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([ANJU, "gateway", "--client-id", client_id], env=env, stdout=out, stderr=out)
    wait_for(lambda: b"subscribed" in log.read_bytes(), 60, 0.05)
    return proc


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
    args = ap.parse_args()
    db_url, build = fresh_demo_db(args.pg, full=False)
    print(f"database: {db_url.split('@')[-1]} (demo built in {build:.1f} s)")
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
