"""Issue 20 items 9 and 10: hostile text and malformed messages at device intake.

Every malformed message gets its contract reason (docs/mqtt.md), never `internal_error`;
one bad message costs neither the batch nor the compound's device pages.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.intake_service import directory, intake_service
from anju.devices.models import DeadLetter, DeviceMessage, DeviceState
from anju.devices.protocol import sign_http, sign_mqtt, topic_for
from tests.devices.helpers import make_device, msg
from tests.web.conftest import HTMX, web_login  # noqa: F401  (fixture)

SURROGATE_BYTES = b"\xed\xa0\x80"  # UTF-8-style encoding of U+D800, which UTF-8 forbids


@pytest.fixture
def smoke(session, ids):
    """(id, key, secret) of a fresh smoke detector in 示范小区."""
    directory.clear()
    return make_device(session, ids["A"], DeviceType.smoke_detector)


def _signed_raw(secret: str, topic: str, body: bytes) -> bytes:
    import hashlib
    import hmac

    sig = hmac.new(secret.encode(), topic.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return body[:-1] + b',"sig":"' + sig.encode() + b'"}'


def _mqtt(session, items: list[tuple[str, bytes]]) -> list[tuple[str, str | None]]:
    """Parse and store raw MQTT messages; (outcome, reason) per message."""
    now = utcnow()
    acc, rej = intake_service.parse_mqtt(session, items, now=now)
    intake_service.store(session, [a for a in acc if a], [r for r in rej if r], now=now)
    return [("accepted", None) if a else ("rejected", r.reason) for a, r in zip(acc, rej, strict=True)]


def _now_iso() -> str:
    return utcnow().isoformat()


class TestOneMessagePoisonsDevicePages:
    """Item 9: an unpaired surrogate is refused at intake; stored odd text never breaks a page."""

    def test_one_message_poisons_device_pages_raw_surrogate_bytes_rejected_over_mqtt(self, session, smoke):
        _, key, secret = smoke
        topic = topic_for("SFXQ", key, "telemetry")
        body = b'{"event_id":"s1","ts":"' + _now_iso().encode() + b'","data":{"note":"a' + SURROGATE_BYTES + b'"}}'
        assert _mqtt(session, [(topic, _signed_raw(secret, topic, body))]) == [("rejected", "malformed_json")]

    def test_one_message_poisons_device_pages_escaped_surrogate_rejected_over_mqtt(self, session, smoke):
        _, key, secret = smoke
        topic = topic_for("SFXQ", key, "telemetry")
        value = {"event_id": "s2", "ts": _now_iso(), "data": {"note": "\ud800"}}
        key_ = {"event_id": "s3", "ts": _now_iso(), "data": {"\udfff": 1}}
        payloads = [(topic, sign_mqtt_ascii(secret, topic, m)) for m in (value, key_)]
        assert _mqtt(session, payloads) == [("rejected", "bad_data"), ("rejected", "bad_data")]
        assert not session.execute(select(DeviceMessage).where(DeviceMessage.device_id == smoke[0])).first()

    def test_one_message_poisons_device_pages_surrogates_rejected_over_http(self, client, session, smoke):
        _, key, secret = smoke
        good = msg({"smoke": 0.1})
        bad = msg({"note": "\ud800"})
        body = json.dumps([good, bad]).encode()  # ensure_ascii: the surrogate travels as "\ud800"
        r = client.post(
            "/api/v1/devices/ingest",
            content=body,
            headers={"X-Device-Key": key, "X-Device-Signature": sign_http(secret, body)},
        )
        assert r.status_code == 202, r.text
        assert r.json()["inserted"] == 1 and [e["reason"] for e in r.json()["rejected"]] == ["bad_data"]
        raw = b'{"event_id":"r1","ts":"' + _now_iso().encode() + b'","data":{"x":"' + SURROGATE_BYTES + b'"}}'
        r = client.post(
            "/api/v1/devices/ingest",
            content=raw,
            headers={"X-Device-Key": key, "X-Device-Signature": sign_http(secret, raw)},
        )
        assert r.status_code == 400 and r.json()["error"]["fields"][0]["type"] == "malformed_json"
        r.json()  # the answer itself is valid UTF-8 JSON
        reasons = set(session.execute(select(DeadLetter.reason).where(DeadLetter.device_key == key)).scalars())
        assert reasons == {"bad_data", "malformed_json"}

    def test_one_message_poisons_device_pages_stored_odd_text_still_renders(
        self,
        client,
        session,
        smoke,
        login,
        web_login,  # noqa: F811
    ):
        """Rows stored before intake refused such text (or by any other path) must not 500 a page."""
        dev, key, _ = smoke
        now = utcnow()
        odd = {"note": "\ud800", "\udfff": "x\x00y", "ok": 1}
        session.add(
            DeviceMessage(
                device_id=dev,
                compound_id=smoke_compound(session, dev),
                event_id="old",
                kind="telemetry",
                device_at=now,
                received_at=now,
                data=odd,
            )
        )
        session.add(
            DeviceState(
                device_id=dev,
                compound_id=smoke_compound(session, dev),
                status="online",
                last_seen_at=now,
                values=odd,
                updated_at=now,
            )
        )
        session.flush()
        headers = login("manager_wang")
        assert client.get("/api/v1/devices", params={"q": key}, headers=headers).status_code == 200
        one = client.get(f"/api/v1/devices/{dev}", headers=headers)
        assert one.status_code == 200 and one.json()["values"]["ok"] == 1
        web_login("manager_wang")
        page = client.get("/console/devices", params={"q": key})
        assert page.status_code == 200 and key in page.text
        assert client.get(f"/console/devices?device={dev}").status_code == 200
        assert client.get(f"/console/devices/{dev}", headers=HTMX).status_code == 200


def smoke_compound(session, dev: int) -> int:
    from anju.devices.models import Device

    return session.get(Device, dev).compound_id


def sign_mqtt_ascii(secret: str, topic: str, message: dict) -> bytes:
    """Like sign_mqtt, but with JSON \\u escapes (how a device would send a lone surrogate)."""
    body = json.dumps(message, separators=(",", ":")).encode()
    return _signed_raw(secret, topic, body)


class TestMalformedMessagesRejectedAsInternalError:
    """Item 10: each malformed input gets its contract reason; the log is not forgeable."""

    @pytest.mark.parametrize(
        ("ts", "reason"),
        [
            (int("9" * 401), "bad_timestamp"),
            (-(10**30), "bad_timestamp"),
            (1e300, "bad_timestamp"),
            ("9999-12-31T23:59:59-23:59", "bad_timestamp"),
            ("0001-01-01T00:00:00+23:59", "bad_timestamp"),
            ("2026-12-06T10:00:00\udfff", "bad_timestamp"),
            ("2026-12-06T10:00:00+00:00\x00", "bad_timestamp"),
        ],
    )
    def test_malformed_messages_rejected_as_internal_error_timestamps(self, session, smoke, ts, reason):
        _, key, secret = smoke
        topic = topic_for("SFXQ", key, "telemetry")
        m = {"event_id": "t", "ts": ts, "data": {}}
        assert _mqtt(session, [(topic, sign_mqtt_ascii(secret, topic, m))]) == [("rejected", reason)]

    @pytest.mark.parametrize(
        "data",
        [{"a\x00b": 1}, {"\ud800": 1}, {"x": "\x00"}, {"bad\nkey": 1}, {"": 1}, {"k\u2028": 1}, {"x": "\udc80"}],
    )
    def test_malformed_messages_rejected_as_internal_error_data_keys(self, session, smoke, data):
        _, key, secret = smoke
        topic = topic_for("SFXQ", key, "telemetry")
        m = {"event_id": "d", "ts": _now_iso(), "data": data}
        assert _mqtt(session, [(topic, sign_mqtt_ascii(secret, topic, m))]) == [("rejected", "bad_data")]

    def test_malformed_messages_rejected_as_internal_error_http_items(self, client, session, smoke):
        _, key, secret = smoke
        items = [
            {"kind": "telemetry", "event_id": "a", "ts": int("9" * 401), "data": {}},
            {"kind": "telemetry", "event_id": "b", "ts": _now_iso(), "data": {"a\x00b": 1}},
            {"kind": "tele\ud800", "event_id": "c", "ts": _now_iso()},
            msg({"smoke": 0.2}),
        ]
        body = json.dumps(items).encode()
        r = client.post(
            "/api/v1/devices/ingest",
            content=body,
            headers={"X-Device-Key": key, "X-Device-Signature": sign_http(secret, body)},
        )
        assert r.status_code == 202, r.text
        assert [e["reason"] for e in r.json()["rejected"]] == ["bad_timestamp", "bad_data", "bad_kind"]
        assert r.json()["inserted"] == 1

    def test_malformed_messages_rejected_as_internal_error_no_forged_log_lines(self, session, smoke, caplog):
        _, key, secret = smoke
        topic = topic_for("SFXQ", key, "telemetry")
        forged = "x\n2026-12-06 10:00:00 INFO anju.audit: admin logged in"
        m = {"event_id": "f", "ts": _now_iso(), "data": {forged: float("nan")}}
        body = json.dumps(m, separators=(",", ":")).encode()  # NaN: a value that is rejected after the key
        with caplog.at_level(logging.INFO, logger="anju.devices"):
            assert _mqtt(session, [(topic, _signed_raw(secret, topic, body))]) == [("rejected", "bad_data")]
            push_topic = f"anju/SFXQ/devices/{key}\nforged/telemetry"
            _mqtt(session, [(push_topic, b"{}")])
        lines = [r.getMessage() for r in caplog.records]
        assert lines and all("\n" not in line and "\r" not in line for line in lines)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        msg_=st.dictionaries(
            st.sampled_from(["event_id", "ts", "data", "kind", "sig", "x"]),
            st.recursive(
                st.none()
                | st.booleans()
                | st.integers(min_value=-(10**420), max_value=10**420)
                | st.floats(allow_nan=True, allow_infinity=True)
                | st.text(max_size=80)
                | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
                lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=70), inner, max_size=5),
                max_leaves=12,
            ),
        )
    )
    def test_malformed_messages_rejected_as_internal_error_fuzz(self, session, smoke, msg_):
        """Whatever a signed message holds, the validator answers with a contract reason or accepts it."""
        _, key, secret = smoke
        topic = topic_for("SFXQ", key, "telemetry")
        try:
            body = json.dumps(msg_, separators=(",", ":")).encode()
        except (ValueError, OverflowError):
            return
        payload = _signed_raw(secret, topic, body) if body.endswith(b"}") else body
        now = utcnow()
        acc, rej = intake_service.parse_mqtt(session, [(topic, payload)], now=now)
        if rej[0] is not None:
            assert rej[0].reason != "internal_error"
            row = rej[0].row(now)
            json.dumps(row, default=str).encode()  # storable and printable
        else:
            a = acc[0]
            json.dumps(a.data, ensure_ascii=False).encode("utf-8")  # nothing unencodable gets through
            for k, v in a.data.items():
                assert "\x00" not in k and (not isinstance(v, str) or "\x00" not in v)
        with session.begin_nested():
            intake_service.store(session, [a for a in acc if a], [r for r in rej if r], now=now)


class TestOneBadMessageNeverCostsTheBatch:
    """Item 10: a batch that fails to store is split, not replayed one transaction per message."""

    def test_one_bad_message_never_costs_the_batch(self, monkeypatch):
        from anju.devices import gateway as gw

        g = gw.Gateway(url="mqtt://127.0.0.1:1", client_id=f"t-{uuid.uuid4().hex[:8]}")
        calls: list[int] = []
        stored: list[int] = []
        dead: list[str] = []

        def store(items):
            calls.append(len(items))
            if any(p == b"poison" for *_, p in items):
                raise RuntimeError("boom")
            stored.extend(mid for _, mid, _, _ in items)

        monkeypatch.setattr(g, "_store", store)
        monkeypatch.setattr(g, "_dead_letter", lambda item, e: dead.append(item[3].decode()))
        monkeypatch.setattr(g, "_ack", lambda items: None)
        items = [(0, i, "anju/SFXQ/devices/k/telemetry", b"ok") for i in range(256)]
        items[77] = (0, 77, "anju/SFXQ/devices/k/telemetry", b"poison")
        g.process_batch(items)
        assert dead == ["poison"]
        assert len(calls) <= 2 * 8 + 1  # about 2·log2(n) transactions, not n + 1
        assert sorted(stored) == [i for i in range(256) if i != 77]  # every good message stored once


def test_timestamp_window_still_enforced(session, smoke):
    _, key, secret = smoke
    topic = topic_for("SFXQ", key, "telemetry")
    old = (utcnow() - timedelta(days=30)).isoformat()
    m = {"event_id": "w", "ts": old, "data": {}}
    assert _mqtt(session, [(topic, sign_mqtt(secret, topic, m))]) == [("rejected", "timestamp_out_of_range")]


class TestBrokerSessionLossIsSilent:
    """Item 12 without a broker: the connect bookkeeping, the alarm per compound, the counter in the API."""

    def test_broker_session_loss_is_silent_counted_and_alarmed(self, client, session, login, smoke):
        from anju.alarms.models import Alarm
        from anju.devices.service import SESSION_LOST_KIND, device_service

        cid = f"gw-{uuid.uuid4().hex[:8]}"
        t0 = utcnow()

        def connect(present: bool, at) -> list[int]:
            return device_service.gateway_connected(
                session, client_id=cid, broker="127.0.0.1:1883", session_present=present, now=at
            )

        assert connect(False, t0) == []  # the first connect ever: nothing to lose
        assert connect(True, t0 + timedelta(minutes=1)) == []  # the broker kept it
        raised = connect(False, t0 + timedelta(minutes=2))  # lost while it should have been kept
        assert raised
        kinds = set(session.execute(select(Alarm.kind).where(Alarm.id.in_(raised))).scalars())
        assert kinds == {SESSION_LOST_KIND}
        # Silent for longer than the session expiry: the broker was right to forget it, no alarm.
        assert connect(False, t0 + timedelta(days=30)) == []
        r = client.get("/api/v1/devices/gateway-sessions", headers=login("admin"))
        assert r.status_code == 200, r.text
        mine = [g for g in r.json() if g["client_id"] == cid]
        assert mine and mine[0]["losses"] == 1
        assert client.get("/api/v1/devices/gateway-sessions", headers=login("manager_wang")).status_code == 403
