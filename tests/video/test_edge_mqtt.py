"""Edge push over MQTT against the real Mosquitto (127.0.0.1:1883): the video worker speaks for its camera like a
device (signed message on the camera's topic, evidence files by sha256 in the store); the platform side is the
same device intake the gateway runs, then the outbox hands the detection to the video domain.

Skips with its reason without a broker; fails instead when the run requires services (CI).
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.devices.intake_service import intake_service
from anju.devices.models import DeadLetter
from anju.video.evidence import evidence_store, sha256
from anju.video.models import VideoEvent, VideoEvidence
from anju.video.push import MqttPusher
from anju.video.worker import VideoWorker
from tests.conftest import port_open, run_worker_once, service_unavailable
from tests.video.footage import FALLS, need


@pytest.fixture
def root():
    if not port_open("127.0.0.1", 1883):
        service_unavailable("Mosquitto on 127.0.0.1:1883")
    return f"anjuv{uuid.uuid4().hex[:10]}"  # topics of this test only: safe beside other runs and the gateway


class Listener:
    """What the gateway would receive: every message under the test's topic root."""

    def __init__(self, root: str) -> None:
        self.got: list[tuple[str, bytes]] = []
        self.ready = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:12]}")
        self.c.on_connect = lambda c, u, f, r, p: c.subscribe(f"{root}/+/devices/+/+", qos=1)
        self.c.on_subscribe = lambda *a: self.ready.set()
        self.c.on_message = lambda c, u, m: self.got.append((m.topic, bytes(m.payload)))
        self.c.connect("127.0.0.1", 1883)
        self.c.loop_start()
        assert self.ready.wait(10)

    def wait(self, n: int, timeout: float = 15.0) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.got)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def _camera(client, login, camera_body) -> int:
    body = {**camera_body, "device_key": "CAM-EDGE-1", "url": str(need(FALLS / "s1_Fall_13.mp4"))}
    body["analytics"] = [{"detector": "fall"}]
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang")).is_success
    return cid


def _intake(session, root: str, items: list[tuple[str, bytes]]):
    """The gateway's store step (devices.gateway.Gateway._store), in the test's transaction."""
    now = utcnow()
    acc, rej = intake_service.parse_mqtt(session, items, now=now, root=root)
    return intake_service.store(session, [a for a in acc if a is not None], [r for r in rej if r is not None], now=now)


def test_fall_detection_goes_through_mqtt_device_intake_once(client, login, session, camera_body, root):
    cid = _camera(client, login, camera_body)
    listener = Listener(root)
    pusher = MqttPusher("mqtt://127.0.0.1:1883", root=root)
    try:
        w = VideoWorker("edge-mqtt", pusher=pusher)
        run = w.open_run(cid)
        assert run is not None and run.identity is not None
        assert w.process(run, replay=False)
        # Two parts: the alarm at the decision, the clip after the post-roll; the edge wrote no incident itself.
        assert (run.pushed, run.pushed_clips, run.recorded) == (1, 1, 0)
        assert session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).all() == []
        got = listener.wait(2)
        assert len(got) == 2
        topic = got[0][0]
        assert {t for t, _ in got} == {f"{root}/SFXQ/devices/CAM-EDGE-1/event"}
        out = _intake(session, root, got)
        assert (out.inserted, out.rejected) == (2, 0)
        run_worker_once()  # the outbox hands the stored message to the video domain
        ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).one()
        assert ev.detector == "fall" and "evidence_missing" not in ev.details and ev.clip_state == "attached"
        alarm = session.get(Alarm, ev.alarm_id)
        assert alarm.kind == "fall" and alarm.status.value == "pending_review"  # R-A4 holds for pushed alarms
        files = session.scalars(select(VideoEvidence).where(VideoEvidence.event_id == ev.id)).all()
        assert {f.kind for f in files} == {"snapshot", "clip"}
        for f in files:
            assert sha256(evidence_store().get(f.key)) == f.sha256
        # A restarted edge replays the clip: the same event_id, stored once by intake, no second alarm.
        again = w.open_run(cid)
        assert again is not None and w.process(again, replay=False) and (again.pushed, again.pushed_clips) == (1, 1)
        got = listener.wait(4)
        assert len(got) == 4 and got[3][0] == topic
        ids = [json.loads(p[: p.rindex(b',"sig"')] + b"}")["event_id"] for _, p in got]
        assert ids[:2] == ids[2:] and ids[0] != ids[1]  # derived from the incident key and part, not the clock
        out = _intake(session, root, got[2:])
        assert (out.inserted, out.duplicates) == (0, 2)
        run_worker_once()
        assert len(session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).all()) == 1
    finally:
        pusher.close()
        listener.close()


def test_a_forged_detection_is_dead_lettered(client, login, session, camera_body, root):
    """Someone without the camera's secret cannot raise a video alarm through the broker."""
    from anju.devices.protocol import sign_mqtt, topic_for

    cid = _camera(client, login, camera_body)
    topic = topic_for("SFXQ", "CAM-EDGE-1", "event", root)
    msg = {"event_id": "v-forged", "ts": utcnow().isoformat(), "data": {"video_detector": "fall", "video_key": "x"}}
    out = _intake(session, root, [(topic, sign_mqtt("not-the-secret", topic, msg))])
    assert (out.inserted, out.rejected) == (0, 1)
    run_worker_once()
    assert session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).all() == []
    assert session.scalars(select(DeadLetter).where(DeadLetter.reason == "bad_signature")).first() is not None


def test_a_detection_whose_evidence_is_missing_still_raises_its_alarm(client, login, session, camera_body, root):
    """Nothing accepted is lost: the edge's store was not reachable, the alarm is raised and says so."""
    from anju.devices.protocol import sign_mqtt, topic_for
    from anju.video.service import video_service

    cid = _camera(client, login, camera_body)
    from anju.video.models import Camera

    who = video_service.device_identity(session, session.get(Camera, cid))
    assert who is not None
    topic = topic_for("SFXQ", "CAM-EDGE-1", "event", root)
    now = utcnow().isoformat()
    data = {
        "video_detector": "fall",
        "video_key": "fall:live:1",
        "score": 0.7,
        "started_at": now,
        "detected_at": now,
        "box": "1,2,30,40",
        "snapshot": "0" * 64,
        "clip": "f" * 64,
    }
    msg = {"event_id": "v-missing-1", "ts": now, "data": data}
    assert _intake(session, root, [(topic, sign_mqtt(who.secret, topic, msg))]).inserted == 1
    run_worker_once()
    ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).one()
    assert ev.details["evidence_missing"] == ["snapshot", "clip"]
    assert ev.alarm_id is not None and tuple(ev.box) == (1, 2, 30, 40)
