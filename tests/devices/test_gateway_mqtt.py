"""`anju gateway` against the real Mosquitto: ingest, restart without loss, duplicates, dead letters, commands.

These tests commit for real (a gateway thread and the test thread), so they use their own
database. Topics and client ids carry a uuid: safe under xdist and against other runs.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select, text

from anju.alarms.models import Alarm
from anju.core.db import transaction, utcnow
from anju.devices.command_service import command_service
from anju.devices.enums import CommandName, CommandStatus, DeviceType
from anju.devices.gateway import Gateway
from anju.devices.models import DeadLetter, DeviceCommand, DeviceMessage
from anju.devices.protocol import sign_mqtt, topic_for
from tests.conftest import port_open, service_unavailable
from tests.devices.helpers import DedicatedDatabase, make_device

BROKER = "mqtt://127.0.0.1:1883"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    if not port_open("127.0.0.1", 1883):
        service_unavailable("Mosquitto on 127.0.0.1:1883")
    d = DedicatedDatabase(tmp_path_factory.mktemp("gw"), "gw")
    yield d
    d.close()


@pytest.fixture
def root() -> str:
    return f"anjut{uuid.uuid4().hex[:10]}"


@pytest.fixture
def device(db):
    """A smoke detector in 示范小区: (compound code, key, secret, id)."""
    with transaction() as s:
        cid = s.execute(text("SELECT id FROM compound WHERE code='SFXQ'")).scalar_one()
        dev_id, key, secret = make_device(s, cid, DeviceType.smoke_detector, floor=12)
    return "SFXQ", key, secret, dev_id


class Publisher:
    def __init__(self) -> None:
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:12]}")
        self.c.max_inflight_messages_set(1000)
        self.c.connect("127.0.0.1", 1883)
        self.c.loop_start()

    def send(self, topic: str, payload: bytes) -> None:
        self.c.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


@pytest.fixture
def pub():
    p = Publisher()
    yield p
    p.close()


def wait_until(cond: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def stored(dev_id: int) -> int:
    with transaction() as s:
        return s.execute(
            select(func.count()).select_from(DeviceMessage).where(DeviceMessage.device_id == dev_id)
        ).scalar_one()


def message(event_id: str, data: dict, *, at=None) -> dict:
    return {"event_id": event_id, "ts": (at or utcnow()).isoformat(), "data": data}


def start_gateway(root: str, client_id: str) -> Gateway:
    g = Gateway(url=BROKER, client_id=client_id, topic_root=root, batch_ms=20)
    g.start()
    assert g.connected.wait(10)
    return g


def test_end_to_end_ingest_raises_alarm(db, root, device, pub):
    code, key, secret, dev_id = device
    g = start_gateway(root, f"gw-{uuid.uuid4().hex[:10]}")
    try:
        topic = topic_for(code, key, "telemetry", root)
        for i in range(50):
            pub.send(topic, sign_mqtt(secret, topic, message(f"e{i}", {"smoke": 0.2})))
        ev = topic_for(code, key, "event", root)
        pub.send(ev, sign_mqtt(secret, ev, message("fire", {"smoke": 8.0, "alarm": True})))
        assert wait_until(lambda: stored(dev_id) == 51)
        with transaction() as s:
            alarm = s.execute(select(Alarm).where(Alarm.device_id == dev_id)).scalar_one()
            assert (alarm.kind, alarm.severity, alarm.floor) == ("smoke", "critical", 12)
    finally:
        g.stop()


def test_restart_loses_nothing_the_broker_accepted(db, root, device, pub):
    code, key, secret, dev_id = device
    client_id = f"gw-{uuid.uuid4().hex[:10]}"
    topic = topic_for(code, key, "telemetry", root)
    g1 = start_gateway(root, client_id)  # creates the persistent session and its subscriptions
    pub.send(topic, sign_mqtt(secret, topic, message("before", {"smoke": 0.1})))
    assert wait_until(lambda: stored(dev_id) == 1)

    # A gateway that receives but "crashes" before committing: nothing is acknowledged.
    g1.process_batch = lambda items: None  # type: ignore[method-assign]
    for i in range(100):
        pub.send(topic, sign_mqtt(secret, topic, message(f"inflight{i}", {"smoke": 0.1})))
    g1.stop()
    for i in range(300):  # published while no gateway runs: the broker queues them for the session
        pub.send(topic, sign_mqtt(secret, topic, message(f"offline{i}", {"smoke": 0.1})))
    g2 = start_gateway(root, client_id)
    try:
        assert wait_until(lambda: stored(dev_id) == 401)
        time.sleep(0.3)
        assert stored(dev_id) == 401  # and nothing twice
    finally:
        g2.stop()


def test_duplicates_and_out_of_order_are_not_double_counted(db, root, device, pub):
    code, key, secret, dev_id = device
    g = start_gateway(root, f"gw-{uuid.uuid4().hex[:10]}")
    try:
        topic = topic_for(code, key, "telemetry", root)
        t0 = utcnow()
        for eid, offset in (("a", 10), ("b", 0), ("a", 10), ("c", 5), ("b", 0), ("a", 10)):
            pub.send(topic, sign_mqtt(secret, topic, message(eid, {"smoke": 0.1}, at=t0 + timedelta(seconds=offset))))
        assert wait_until(lambda: g.stats.inserted + g.stats.duplicates >= 6)
        assert stored(dev_id) == 3 and g.stats.duplicates == 3
    finally:
        g.stop()


def malformed_payloads(
    code: str, key: str, secret: str, root: str, n: int, seed: int = 4
) -> list[tuple[str, bytes, str]]:
    """(topic, payload, expected reason) of many kinds of bad input."""
    r = random.Random(seed)
    topic = topic_for(code, key, "telemetry", root)
    old = (utcnow() - timedelta(days=365 * 3)).isoformat()
    makers = [
        lambda: (topic, b"{not json" + bytes([r.randint(0, 255)]), "missing_signature"),
        lambda: (topic, bytes(r.randint(0, 255) for _ in range(r.randint(1, 200))), "missing_signature"),
        lambda: (topic, b'{"event_id":"x","ts":"2026-01-01T00:00:00+00:00","data":{}}', "missing_signature"),
        lambda: (topic, sign_mqtt("wrong-secret", topic, message("x", {"smoke": 1})), "bad_signature"),
        lambda: (topic, sign_mqtt(secret, topic, message("x", {"smoke": 1}))[:-80] + b'"}', "missing_signature"),
        lambda: (topic, sign_mqtt(secret, topic, {"event_id": "x", "ts": old, "data": {}}), "timestamp_out_of_range"),
        lambda: (topic, sign_mqtt(secret, topic, {"event_id": "x", "ts": "soon", "data": {}}), "bad_timestamp"),
        lambda: (topic, sign_mqtt(secret, topic, {"event_id": 42, "ts": utcnow().isoformat()}), "bad_event_id"),
        lambda: (topic, sign_mqtt(secret, topic, message("x", {"smoke": "high"})), "bad_field_type"),
        lambda: (topic, sign_mqtt(secret, topic, message("x", {"deep": {"a": [1, 2]}})), "bad_data"),
        lambda: (topic, sign_mqtt(secret, topic, message("x", {"smoke": 1, "pad": "x" * 20_000})), "oversize"),
        lambda: (topic_for(code, f"ghost-{r.randint(0, 9999)}", "telemetry", root), b'{"a":1}', "unknown_device"),
        lambda: (
            topic_for("NOPE", key, "telemetry", root),
            sign_mqtt(secret, topic, message("x", {})),
            "unknown_device",
        ),
        lambda: (f"{root}/{code}/devices//telemetry", b"{}", "bad_topic"),  # "+" matches an empty level
        lambda: (topic, _broken_json_signed(secret, topic), "malformed_json"),
    ]
    return [makers[i % len(makers)]() for i in range(n)]


def _broken_json_signed(secret: str, topic: str) -> bytes:
    import hashlib
    import hmac

    body = b'{"event_id":"x",,}'
    sig = hmac.new(secret.encode(), topic.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return body[:-1] + b',"sig":"' + sig.encode() + b'"}'


def test_malformed_and_unauthenticated_are_dead_lettered_without_crashing(db, root, device, pub):
    code, key, secret, dev_id = device
    g = start_gateway(root, f"gw-{uuid.uuid4().hex[:10]}")
    try:
        bad = malformed_payloads(code, key, secret, root, 1000)
        with transaction() as s:
            before = s.execute(select(func.count()).select_from(DeadLetter)).scalar_one()
        for topic, payload, _ in bad:
            pub.c.publish(topic, payload, qos=1)
        assert wait_until(lambda: g.stats.rejected >= len(bad), timeout=60)
        with transaction() as s:
            rows = s.execute(
                select(DeadLetter.reason, func.count()).where(DeadLetter.id > 0).group_by(DeadLetter.reason)
            ).all()
            total = s.execute(select(func.count()).select_from(DeadLetter)).scalar_one()
        assert total - before == len(bad)
        expected = {reason for _, _, reason in bad}
        assert expected <= {r for r, _ in rows}
        assert g.stats.errors == 0 and g._thread is not None and g._thread.is_alive()
        topic = topic_for(code, key, "telemetry", root)  # still serving
        pub.send(topic, sign_mqtt(secret, topic, message("after-the-storm", {"smoke": 0.1})))
        assert wait_until(lambda: stored(dev_id) == 1)
    finally:
        g.stop()


def test_command_is_published_and_acknowledged_on_reply(db, root, pub):
    with transaction() as s:
        cid = s.execute(text("SELECT id FROM compound WHERE code='SFXQ'")).scalar_one()
        dev_id, key, secret = make_device(s, cid, DeviceType.ebike_charger)
    got: list[dict] = []
    dev = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dev-{uuid.uuid4().hex[:10]}")

    def on_message(c, u, m):
        got.append(json.loads(m.payload))
        reply = topic_for("SFXQ", key, "reply", root)
        body = message(f"r-{len(got)}", {"correlation_id": got[-1]["correlation_id"], "ok": True})
        c.publish(reply, sign_mqtt(secret, reply, body), qos=1)

    dev.on_message = on_message
    dev.connect("127.0.0.1", 1883)
    dev.subscribe(topic_for("SFXQ", key, "command", root), qos=1)
    dev.loop_start()
    g = start_gateway(root, f"gw-{uuid.uuid4().hex[:10]}")
    try:
        from anju.core.auth import Principal
        from anju.core.rbac import Role

        who = Principal(
            user_id=1, username="admin", display_name="a", role=Role.platform_admin, compound_ids=frozenset({cid})
        )
        with transaction() as s:
            cmd = command_service.issue(
                s, by=who, device_id=dev_id, command=CommandName.cut_power, params={}, reason="测试"
            )
            cmd_id = cmd.id

        def status() -> str:
            with transaction() as s:
                return str(s.get(DeviceCommand, cmd_id).status)

        assert wait_until(lambda: status() == CommandStatus.acknowledged)
        assert got and got[0]["command"] == "cut_power"
    finally:
        g.stop()
        dev.loop_stop()
        dev.disconnect()


def test_unacknowledged_command_times_out(db):
    with transaction() as s:
        cid = s.execute(text("SELECT id FROM compound WHERE code='SFXQ'")).scalar_one()
        dev_id, _, _ = make_device(s, cid, DeviceType.ebike_charger)
        t0 = utcnow()
        cmd = command_service.issue_automatic(
            s, device_id=dev_id, compound_id=cid, command="cut_power", reason="rule overheat", now=t0
        )
        assert command_service.expire(s, now=t0 + timedelta(seconds=29)) == 0
        assert command_service.expire(s, now=t0 + timedelta(seconds=31)) >= 1
        assert s.get(DeviceCommand, cmd).status == CommandStatus.timed_out


def _broker_forgets(client_id: str) -> None:
    """What a broker restart without persistence does: the persistent session of client_id is gone."""
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    c.connect("127.0.0.1", 1883, clean_start=True, properties=props)
    c.loop_start()
    assert wait_until(c.is_connected, 10)
    c.disconnect()
    c.loop_stop()


def _session_alarms(client_id: str) -> list[tuple[str, str]]:
    with transaction() as s:
        return [
            (code, kind)
            for code, kind in s.execute(
                text(
                    "SELECT c.code, a.kind FROM alarm a JOIN compound c ON c.id = a.compound_id "
                    "WHERE a.source = :src ORDER BY c.code"
                ),
                {"src": f"gateway:{client_id}"},
            ).all()
        ]


def test_broker_session_loss_is_silent_raises_an_alarm_and_a_metric(db, root, device, pub, caplog):
    """Item 12: `session present: False` when the broker should still hold our session is an alarm, not INFO."""
    client_id = f"gw-{uuid.uuid4().hex[:10]}"
    g1 = start_gateway(root, client_id)  # the very first connect: no session to lose yet
    try:
        assert wait_until(lambda: g1.stats.connects == 1)
        assert g1.stats.session_losses == 0 and _session_alarms(client_id) == []
    finally:
        g1.stop()
    g2 = start_gateway(root, client_id)  # the broker kept it: session present
    try:
        assert wait_until(lambda: g2.stats.connects == 1)
        assert g2.stats.session_losses == 0 and _session_alarms(client_id) == []
    finally:
        g2.stop()
    _broker_forgets(client_id)
    with caplog.at_level("WARNING", logger="anju.gateway"):
        g3 = start_gateway(root, client_id)
        try:
            assert wait_until(lambda: g3.stats.session_losses == 1)
        finally:
            g3.stop()
    alarms = _session_alarms(client_id)
    assert ("SFXQ", "gateway_session_lost") in alarms
    assert any("lost the persistent session" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    with transaction() as s:
        losses = s.execute(
            text("SELECT losses FROM gateway_session WHERE client_id = :c"), {"c": client_id}
        ).scalar_one()
    assert losses == 1
