"""Bench helpers: a private Mosquitto (so it can be killed and restarted), a counting subscriber, devices."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A Mosquitto we own: persistent, unlimited offline queue (the production setting, see docs/mqtt.md)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="anju-mosq-"))
        self.dir.chmod(0o777)  # mosquitto started as root drops to its own user, which must write here
        self.port = free_port()
        (self.dir / "m.conf").write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {self.dir}/\nmax_queued_messages 0\nmax_inflight_messages 0\n"
            f"autosave_interval 1\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.dir / "m.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self, sig: int = 15) -> None:
        if self.proc is not None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
            self.proc = None


class Publisher:
    """A QoS-1 publisher on the local broker: the district day's (anju.sim.district.MqttPublisher), one message at a
    time, reconnecting sooner (the benches restart the broker)."""

    def __init__(self, port: int) -> None:
        from anju.sim.district import MqttPublisher

        self.pub = MqttPublisher(f"mqtt://127.0.0.1:{port}", f"bench-pub-{uuid.uuid4().hex[:8]}", reconnect_min=0.2)

    def publish(self, topic: str, payload: bytes) -> None:
        self.pub.publish([(topic, payload)])

    def wait_all(self, timeout: float = 120) -> bool:
        """Until the broker has acknowledged (PUBACK) every message we published."""
        return self.pub.wait_published(timeout)

    def close(self) -> None:
        self.pub.close()


def counting_subscriber(port: int, topic: str, n: int, client_id: str) -> None:
    """The baseline: a bare QoS-1 subscriber (same session settings as the gateway) that only counts."""
    got = 0
    t_first = None
    done = False

    def on_message(c: Any, u: Any, m: Any) -> None:
        nonlocal got, t_first, done
        if t_first is None:
            t_first = time.perf_counter()
        got += 1
        if got >= n:
            done = True

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    props.ReceiveMaximum = 2000
    c.connect("127.0.0.1", port, clean_start=False, properties=props)
    c.subscribe(topic, qos=1)
    c.loop_start()
    time.sleep(0.5)
    print("ready", flush=True)
    if n == 0:  # only create the persistent session
        c.disconnect()
        c.loop_stop()
        return
    while not done:
        time.sleep(0.001)
    print(f"done {got} {t_first} {time.perf_counter()}", flush=True)
    c.loop_stop()


if __name__ == "__main__":
    counting_subscriber(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4])
    os._exit(0)
