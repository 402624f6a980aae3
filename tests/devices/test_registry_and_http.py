"""Device registry API (scoping) and the HTTP push path of the shared intake."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.models import DeadLetter, DeviceMessage, DeviceState
from tests.devices.helpers import make_device, msg, push


def _body(ids: dict[str, int], key: str | None = None, **kw: object) -> dict[str, object]:
    return {
        "compound_id": ids["A"],
        "device_key": key or f"K-{uuid.uuid4().hex[:8]}",
        "name": "烟感",
        "device_type": "smoke_detector",
        **kw,
    }


class TestRegistry:
    def test_manager_registers_and_reads_back_with_secret_once(self, client, login, ids):
        r = client.post(
            "/api/v1/devices", json=_body(ids, floor=12, location="3号楼12层"), headers=login("manager_wang")
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert len(body["secret"]) >= 24 and body["status"] == "unknown"
        got = client.get(f"/api/v1/devices/{body['id']}", headers=login("guard_chen")).json()
        assert got["floor"] == 12 and "secret" not in got

    def test_r_s2_charger_without_auto_cutoff_is_refused(self, client, login, ids):
        for caps in ({}, {"auto_cutoff": False}, {"auto_cutoff": "yes"}):
            r = client.post(
                "/api/v1/devices",
                json=_body(ids, device_type="ebike_charger", capabilities=caps),
                headers=login("manager_wang"),
            )
            assert r.status_code == 422, r.text
            assert r.json()["error"]["code"] == "device_charger_no_auto_cutoff" and "自动断电" in r.text

    def test_r_s2_charger_declaring_auto_cutoff_is_registered(self, client, login, ids):
        r = client.post(
            "/api/v1/devices",
            json=_body(ids, device_type="ebike_charger", capabilities={"auto_cutoff": True, "max_power_w": 800}),
            headers=login("manager_wang"),
        )
        assert r.status_code == 201, r.text
        assert r.json()["capabilities"]["auto_cutoff"] is True

    def test_r_s2_demo_chargers_declare_auto_cutoff(self, client, login):
        r = client.get("/api/v1/devices", params={"device_type": "ebike_charger"}, headers=login("guard_chen"))
        chargers = r.json()["items"]
        assert chargers and all(d["capabilities"].get("auto_cutoff") is True for d in chargers)

    def test_guard_cannot_register(self, client, login, ids):
        assert client.post("/api/v1/devices", json=_body(ids), headers=login("guard_chen")).status_code == 403

    def test_duplicate_key_is_409(self, client, login, ids):
        key = f"K-{uuid.uuid4().hex[:8]}"
        assert client.post("/api/v1/devices", json=_body(ids, key), headers=login("manager_wang")).status_code == 201
        assert client.post("/api/v1/devices", json=_body(ids, key), headers=login("manager_wang")).status_code == 409

    def test_other_compound_device_is_not_found(self, client, login, ids, session):
        dev_id, _, _ = make_device(session, ids["A"])
        assert client.get(f"/api/v1/devices/{dev_id}", headers=login("outsider_zhao")).status_code == 404
        listed = client.get("/api/v1/devices", headers=login("outsider_zhao")).json()
        assert all(d["compound_id"] == ids["B"] for d in listed["items"])

    def test_registering_into_other_compound_is_not_found(self, client, login, ids):
        r = client.post("/api/v1/devices", json=_body(ids), headers=login("outsider_zhao"))
        assert r.status_code == 404

    def test_residents_and_street_office_see_no_devices(self, client, login):
        assert client.get("/api/v1/devices", headers=login("resident_li")).status_code == 403
        assert client.get("/api/v1/devices", headers=login("gov_street")).status_code == 403

    def test_demo_compound_has_devices(self, client, login):
        r = client.get("/api/v1/devices", params={"device_type": "smoke_detector"}, headers=login("guard_chen"))
        assert r.json()["total"] > 10


class TestHttpIngest:
    def test_signed_push_stores_and_updates_state(self, client, session, ids):
        dev, key, secret = make_device(session, ids["A"])
        r = push(client, key, secret, msg({"smoke": 0.3, "battery": 88}))
        assert r.status_code == 202, r.text
        assert r.json() == {"accepted": 1, "inserted": 1, "duplicates": 0, "rejected": []}
        st = session.get(DeviceState, dev)
        session.refresh(st)
        assert st.status == "online" and st.values["battery"] == 88
        row = session.execute(select(DeviceMessage).where(DeviceMessage.device_id == dev)).scalar_one()
        assert row.received_at >= row.device_at - timedelta(seconds=5)  # server time beside device time

    def test_secret_header_also_authenticates(self, client, session, ids):
        _, key, secret = make_device(session, ids["A"])
        assert push(client, key, secret, msg({"smoke": 0.1}), sign=False).status_code == 202

    def test_duplicate_event_ids_are_not_double_counted(self, client, session, ids):
        dev, key, secret = make_device(session, ids["A"])
        m = msg({"smoke": 0.1}, event_id="e-1")
        assert push(client, key, secret, [m, m]).json()["duplicates"] == 1
        assert push(client, key, secret, m).json() == {"accepted": 1, "inserted": 0, "duplicates": 1, "rejected": []}
        n = session.execute(select(func.count()).select_from(DeviceMessage).where(DeviceMessage.device_id == dev))
        assert n.scalar_one() == 1

    def test_unauthenticated_device_is_rejected_and_dead_lettered(self, client, session, ids):
        _, key, secret = make_device(session, ids["A"])
        r = push(client, key, "wrong-secret", msg({"smoke": 0.1}))
        assert r.status_code == 401
        r = push(client, f"nope-{uuid.uuid4().hex}", secret, msg({"smoke": 0.1}))
        assert r.status_code == 401
        reasons = set(session.execute(select(DeadLetter.reason).where(DeadLetter.device_key.in_([key]))).scalars())
        assert reasons == {"bad_signature"}

    def test_bad_items_are_rejected_one_by_one(self, client, session, ids):
        _, key, secret = make_device(session, ids["A"])
        now = utcnow()
        items = [
            msg({"smoke": 0.1}),
            {"kind": "telemetry", "event_id": "x", "ts": (now - timedelta(days=3 * 365)).isoformat(), "data": {}},
            {"kind": "telemetry", "event_id": "y", "ts": "yesterday", "data": {}},
            {"kind": "telemetry", "ts": now.isoformat(), "data": {}},
            {"kind": "bogus", "event_id": "z", "ts": now.isoformat()},
            msg({"smoke": "lots"}),
            msg({"nested": {"a": 1}}),
        ]
        r = push(client, key, secret, items)
        assert r.status_code == 202
        reasons = [e["reason"] for e in r.json()["rejected"]]
        assert reasons == [
            "timestamp_out_of_range",
            "bad_timestamp",
            "bad_event_id",
            "bad_kind",
            "bad_field_type",
            "bad_data",
        ]
        assert r.json()["inserted"] == 1

    def test_malformed_json_body_is_400_and_dead_lettered(self, client, session, ids):
        _, key, secret = make_device(session, ids["A"])
        from anju.devices.protocol import sign_http

        body = b'{"event_id": "a", '
        r = client.post(
            "/api/v1/devices/ingest",
            content=body,
            headers={"X-Device-Key": key, "X-Device-Signature": sign_http(secret, body)},
        )
        assert r.status_code == 400
        dl = session.execute(select(DeadLetter).where(DeadLetter.device_key == key)).scalar_one()
        assert dl.reason == "malformed_json" and dl.excerpt == body.decode()

    def test_epoch_milliseconds_are_accepted(self, client, session, ids):
        dev, key, secret = make_device(session, ids["A"], DeviceType.water_tank)
        m = {"kind": "telemetry", "event_id": "ms", "ts": int(utcnow().timestamp() * 1000), "data": {"level_pct": 60}}
        assert push(client, key, secret, m).json()["inserted"] == 1
        assert json.loads(json.dumps(session.get(DeviceState, dev).values))["level_pct"] == 60
