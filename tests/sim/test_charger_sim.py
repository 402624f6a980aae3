"""The simulator's e-bike sockets answer the platform's commands (issue 18): start_charge switches one on and is
acknowledged, its own timer cuts it off (reported as the automatic cut-off), cut_power switches it off; over the
real Mosquitto, a command published as the gateway publishes it gets a signed reply on the reply topic."""

from __future__ import annotations

import json
import random
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from anju.devices.protocol import sign_mqtt, topic_for
from anju.sim.charger_sim import ChargerDesk, ChargerSim
from tests.conftest import port_open, service_unavailable

pytestmark = pytest.mark.db_agnostic


def test_start_charge_is_acknowledged_and_the_pile_cuts_itself_off_at_time_up():
    c = ChargerSim("SFXQ-CHG-1")
    out = c.on_command({"correlation_id": "c1", "command": "start_charge", "params": {"minutes": 2}}, now=100.0)
    assert out[0] == ("reply", {"correlation_id": "c1", "ok": True})
    assert out[1][0] == "telemetry" and out[1][1]["state"] == "charging" and out[1][1]["power_w"] > 0
    assert c.tick(now=219.0, elapsed=119.0) == []  # still charging one second before its time
    [(kind, data)] = c.tick(now=220.0, elapsed=1.0)
    assert kind == "event" and data["state"] == "idle" and data["cut_off"] == "timer" and data["energy_wh"] > 0
    assert c.tick(now=300.0, elapsed=80.0) == []  # once
    c.on_command({"correlation_id": "c2", "command": "start_charge", "params": {"minutes": 60}}, now=300.0)
    off = c.on_command({"correlation_id": "c3", "command": "cut_power", "params": {}}, now=310.0)
    assert off[0][1]["ok"] is True and off[1][1]["state"] == "idle" and c.tick(now=10_000.0) == []
    assert c.on_command({"correlation_id": "c4", "command": "reset"}, now=1.0)[0][1]["ok"] is False
    assert (
        c.on_command({"correlation_id": "c5", "command": "start_charge", "params": {"minutes": True}}, now=1.0)[0][1][
            "ok"
        ]
        is False
    )


def test_a_command_over_mqtt_gets_a_signed_reply():
    if not port_open("127.0.0.1", 1883):
        service_unavailable("Mosquitto on 127.0.0.1:1883")
    root, key, secret = f"anjut{uuid.uuid4().hex[:10]}", "SFXQ-CHG-T1", "s3cret"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-{uuid.uuid4().hex[:12]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    got: list[dict] = []
    try:

        def send(k: str, kind: str, message: dict) -> bool:
            topic = topic_for("SFXQ", k, kind, root)
            client.publish(topic, sign_mqtt(secret, topic, message), qos=1).wait_for_publish(10)
            return True

        desk = ChargerDesk([key], send=send)
        desk.subscribe(client, "SFXQ", root)
        client.message_callback_add(
            topic_for("SFXQ", key, "reply", root), lambda _c, _u, m: got.append(json.loads(m.payload))
        )
        client.subscribe(topic_for("SFXQ", key, "reply", root), qos=1)
        time.sleep(0.3)  # both subscriptions in place before the command goes out
        body = {"correlation_id": "corr-1", "command": "start_charge", "params": {"minutes": 60, "session": 7}}
        client.publish(f"{root}/SFXQ/devices/{key}/command", json.dumps(body), qos=1).wait_for_publish(10)
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            desk.pump()
            time.sleep(0.05)
    finally:
        client.loop_stop()
        client.disconnect()
    assert got and got[0]["data"] == {"correlation_id": "corr-1", "ok": True} and got[0]["sig"]
    assert desk.chargers[key].state == "charging" and desk.reading(key, random.Random(1))["state"] == "charging"
