"""Alarm latency under load: from MQTT publish to the alarm visible through the API (R-A10).

Run: .venv/bin/python bench/bench_alarm_latency.py [--load 1000] [--seconds 20]

A private Mosquitto, `anju gateway` and `anju serve --no-worker` run as their own processes on
one SQLite demo database. The bench publishes background telemetry at --load msg/s and, every
0.25 s, an alarm-raising message from a fresh device; a poller reads GET /api/v1/alarms every
20 ms as guard_chen. Prints p50/p99/max latency (target p99 <= 1 s; GB 55029 asks <= 2 s), and
the same figures with no background load as the baseline.
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
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_demo_db
from _mqtt import Broker, Publisher, free_port
from bench_gateway import ANJU, start_gateway


def devices() -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        return [(d.device_key, str(d.device_type), str(d.id)) for d in s.execute(select(Device)).scalars()]


TRIGGER = {
    "smoke_detector": {"smoke": 7.5, "alarm": True},
    "lift_controller": {"trapped": True},
    "gas_detector": {"gas_lel": 40.0},
    "water_leak": {"leak": True},
    "sos_button": {"pressed": True},
    "water_pump": {"fault": True},
    "manhole_cover": {"open": True},
}


def measure(
    broker: Broker,
    base: str,
    token: str,
    triggers: list[tuple[str, str, str]],
    load: int,
    seconds: float,
    all_devices: list[tuple[str, str, str]],
) -> list[float]:
    from anju.devices.protocol import sign_mqtt, topic_for
    from anju.sim.devices_demo import demo_secret

    seen: dict[str, float] = {}
    sent: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
            while not stop.is_set():
                r = c.get("/api/v1/alarms", params={"page_size": 200, "open_only": True})
                now = time.perf_counter()
                for a in r.json()["items"]:
                    seen.setdefault(str(a["device_id"]), now)
                time.sleep(0.02)

    def background() -> None:
        pub = Publisher(broker.port)
        rnd = random.Random(1)
        i = 0
        quiet = [d for d in all_devices if d[1] in ("water_meter", "power_meter", "street_light", "water_tank")]
        while not stop.is_set() and load > 0:
            t0 = time.perf_counter()
            for _ in range(max(1, load // 20)):
                key, _, _ = quiet[i % len(quiet)]
                i += 1
                topic = topic_for("SFXQ", key, "telemetry")
                msg = {
                    "event_id": f"bg-{time.time_ns()}-{i}",
                    "ts": datetime.now(UTC).isoformat(),
                    "data": {"reading": rnd.random()},
                }
                pub.publish(topic, sign_mqtt(demo_secret(key), topic, msg))
            time.sleep(max(0.0, 0.05 - (time.perf_counter() - t0)))
        pub.close()

    threads = [threading.Thread(target=poll), threading.Thread(target=background)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    pub = Publisher(broker.port)
    end = time.perf_counter() + seconds
    for key, dtype, dev_id in triggers:
        if time.perf_counter() > end:
            break
        topic = topic_for("SFXQ", key, "event")
        msg = {"event_id": f"alarm-{time.time_ns()}", "ts": datetime.now(UTC).isoformat(), "data": TRIGGER[dtype]}
        sent[dev_id] = time.perf_counter()
        pub.publish(topic, sign_mqtt(demo_secret(key), topic, msg))
        time.sleep(0.25)
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and not all(d in seen for d in sent):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    pub.close()
    return sorted(seen[d] - sent[d] for d in sent if d in seen) + [float("inf")] * sum(d not in seen for d in sent)


def pct(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--load", type=int, default=1000, help="background telemetry, msg/s")
    ap.add_argument("--seconds", type=float, default=12)
    args = ap.parse_args()
    db_url, _ = fresh_demo_db(None, full=False)
    broker = Broker()
    broker.start()
    port = free_port()
    env = {**os.environ, "ANJU_DATABASE_URL": db_url}
    server = subprocess.Popen(
        [ANJU, "serve", "--no-worker", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    gw = start_gateway(db_url, broker, "latency-gw")
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/api/v1/auth/token", json={"username": "guard_chen", "password": "anju2026!"}
        ).json()["access_token"]
        devs = devices()
        triggers = [d for d in devs if d[1] in TRIGGER]
        random.Random(3).shuffle(triggers)
        half = len(triggers) // 2
        idle = measure(broker, base, token, triggers[:half], 0, args.seconds, devs)
        busy = measure(broker, base, token, triggers[half:], args.load, args.seconds, devs)
        print(f"{'':30}{'n':>5}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
        for name, xs in (("no background load", idle), (f"{args.load} msg/s background", busy)):
            print(f"{name:30}{len(xs):>5}{pct(xs, 50) * 1000:>10.0f}{pct(xs, 99) * 1000:>10.0f}{xs[-1] * 1000:>10.0f}")
        print(f"p99 ratio loaded/idle: {pct(busy, 99) / pct(idle, 99):.2f}x   (target p99 <= 1000 ms)")
    finally:
        gw.send_signal(signal.SIGTERM)
        server.send_signal(signal.SIGTERM)
        gw.wait(20)
        server.wait(20)
        broker.stop()


if __name__ == "__main__":
    main()
