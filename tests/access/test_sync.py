"""Offline terminals: incremental allow-lists, revocation push over MQTT, offline replay without duplicates."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from anju.access.config import access_settings
from anju.access.models import AccessLog, TerminalPush
from anju.sim.access_demo import LI_CARD
from tests.conftest import port_open, run_worker_once, service_unavailable

GATE = "南门人行"
UNIT_DOOR = "3号楼1单元门"


def _sync(client, headers, since=0):
    r = client.get(f"/api/v1/terminals/sync?since={since}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _li_card(client, login, ids):
    creds = client.get(f"/api/v1/access/people/{ids['li_person']}/credentials", headers=login("manager_wang")).json()
    return next(c for c in creds if c["kind"] == "card" and c["status"] == "active")


class TestSync:
    def test_full_list_has_card_hash_points_and_public_key(self, client, south, points):
        s = _sync(client, south)
        assert s["full"] and s["public_keys"] and s["version"] > 0
        cards = [e for e in s["entries"] if e["payload"] and e["payload"]["kind"] == "card"]
        assert cards and points[GATE] in cards[0]["payload"]["points"]
        assert all(LI_CARD not in json.dumps(e) for e in s["entries"])  # only a salted hash travels
        kinds = {e["payload"]["kind"] for e in s["entries"]}
        assert "point" in kinds

    def test_revocation_reaches_the_list_as_a_tombstone(self, client, login, ids, south):
        v0 = _sync(client, south)["version"]
        card = _li_card(client, login, ids)
        r = client.post(f"/api/v1/access/credentials/{card['id']}/revoke", headers=login("manager_wang"))
        assert r.status_code == 200
        s = _sync(client, south, since=v0)
        assert {"key": f"cred:{card['id']}", "deleted": True} in [
            {"key": e["key"], "deleted": e["deleted"]} for e in s["entries"]
        ]
        assert s["version"] > v0
        assert _sync(client, south, since=s["version"])["entries"] == []

    def test_move_out_revocation_reaches_the_list(self, client, login, ids, south):
        v0 = _sync(client, south)["version"]
        card = _li_card(client, login, ids)
        client.post(
            f"/api/v1/houses/{ids['li_house']}/move-out", headers=login("manager_wang"), json={"on": "2026-11-20"}
        )
        run_worker_once()
        keys = {e["key"]: e["deleted"] for e in _sync(client, south, since=v0)["entries"]}
        assert keys.get(f"cred:{card['id']}") is True

    def test_visitor_pass_appears_on_gate_lists(self, client, login, ids, south):
        v0 = _sync(client, south)["version"]
        r = client.post(
            "/api/v1/access/visitor-passes",
            headers=login("resident_li"),
            json={
                "host_house_id": ids["li_house"],
                "visitor_name": "客人",
                "valid_until": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
            },
        )
        keys = [e["key"] for e in _sync(client, south, since=v0)["entries"]]
        assert f"pass:{r.json()['id']}" in keys

    def test_push_failure_is_recorded_and_retried(self, client, login, ids, session, monkeypatch):
        monkeypatch.setattr(access_settings(), "mqtt_port", 1)  # nothing listens there
        monkeypatch.setattr(access_settings(), "mqtt_timeout_seconds", 0.5)
        # Only this test's pushes: a test that commits through its own connection may leave rows in the worker's database.
        before = session.execute(select(func.coalesce(func.max(TerminalPush.id), 0))).scalar_one()
        card = _li_card(client, login, ids)
        client.post(f"/api/v1/access/credentials/{card['id']}/revoke", headers=login("manager_wang"))
        run_worker_once()
        pushes = session.execute(select(TerminalPush).where(TerminalPush.id > before)).scalars().all()
        assert pushes and all(p.status == "failed" and p.last_error for p in pushes)
        assert all(p.next_try_at > datetime.now(UTC) for p in pushes)


class TestMqttPush:
    def test_revocation_pushed_to_terminal_within_10_s(self, client, login, ids, south, session):
        if not port_open(access_settings().mqtt_host, access_settings().mqtt_port):
            service_unavailable("Mosquitto on 127.0.0.1:1883")
        import paho.mqtt.client as mqtt

        # The broker is shared (other tests, the other database's pass, a retained push from an
        # earlier run), so wait for a push newer than the version read here, not for any message.
        got: list[dict] = []
        subscribed = threading.Event()
        newer = threading.Condition()
        topic = "anju/SFXQ/terminals/term_SFXQ_south/sync"
        sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        sub.on_subscribe = lambda *a: subscribed.set()

        def on_message(c, u, msg):
            with newer:
                got.append(json.loads(msg.payload))
                newer.notify_all()

        sub.on_message = on_message
        sub.connect("127.0.0.1", 1883)
        sub.subscribe(topic, qos=1)
        sub.loop_start()
        try:
            assert subscribed.wait(5)
            v0 = _sync(client, south)["version"]
            card = _li_card(client, login, ids)
            client.post(f"/api/v1/access/credentials/{card['id']}/revoke", headers=login("manager_wang"))
            run_worker_once()  # the worker polls every second in production
            with newer:
                pushed = newer.wait_for(
                    lambda: any(m.get("kind") == "sync" and m.get("version", 0) > v0 for m in got), timeout=10
                )
            assert pushed, f"no push newer than version {v0} within 10 s (got {got})"
        finally:
            sub.loop_stop()
            sub.disconnect()
        keys = {e["key"]: e["deleted"] for e in _sync(client, south, since=v0)["entries"]}
        assert keys[f"cred:{card['id']}"] is True
        assert session.execute(select(TerminalPush.status)).scalars().all()[-1] == "sent"


class TestOfflineReplay:
    def test_replay_is_idempotent(self, client, south, points, session):
        t = datetime.now(UTC) - timedelta(hours=1)
        records = [
            {
                "record_id": f"off-{i}",
                "access_point_id": points[GATE],
                "method": "card",
                "decision": "allow",
                "device_time": (t + timedelta(minutes=i)).isoformat(),
            }
            for i in range(3)
        ]
        r = client.post("/api/v1/terminals/records", headers=south, json={"records": records})
        assert r.status_code == 202 and r.json()["inserted"] == 3
        r = client.post(
            "/api/v1/terminals/records",
            headers=south,
            json={"records": [*records, {**records[0], "record_id": "off-9"}]},
        )
        assert r.json() == {"inserted": 1, "duplicates": 3, "rejected": []}
        logs = session.execute(select(AccessLog).where(AccessLog.record_id.like("off-%"))).scalars().all()
        assert len(logs) == 4 and all(lg.source == "offline" for lg in logs)

    def test_replay_for_a_door_not_controlled_is_rejected(self, client, south, points):
        r = client.post(
            "/api/v1/terminals/records",
            headers=south,
            json={
                "records": [
                    {
                        "record_id": "x1",
                        "access_point_id": points[UNIT_DOOR],
                        "method": "card",
                        "decision": "allow",
                        "device_time": datetime.now(UTC).isoformat(),
                    }
                ]
            },
        )
        assert r.json()["rejected"] == [{"record_id": "x1", "reason": "door_not_controlled"}]


@pytest.mark.parametrize("since", [0, 10_000])
def test_sync_cursor_beyond_version_is_harmless(client, south, since):
    assert _sync(client, south, since=since)["terminal_id"] > 0
