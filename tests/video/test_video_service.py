"""Cameras, detections into alarms with evidence, review, footage access, retention (service and API)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.devices.models import Device, DeviceState
from anju.video.config import video_settings
from anju.video.detectors.base import Detection
from anju.video.enums import AccessAction, ReviewVerdict
from anju.video.evidence import evidence_store, sha256
from anju.video.models import Camera, VideoAccessLog, VideoEvent, VideoEvidence
from anju.video.service import video_service
from anju.video.tasks import purge_expired


def _camera(client, login, body, active=True) -> dict:
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    cam = r.json()
    if active:
        r = client.patch(f"/api/v1/video/cameras/{cam['id']}", json={"active": True}, headers=login("manager_wang"))
        assert r.status_code == 200, r.text
        cam = r.json()
    return cam


def _frames(n: int = 6) -> list:
    rng = np.random.default_rng(1)
    return [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(n)]


def _record(session, cam_id: int, *, detector: str = "fall", key: str = "fall:file0:1.0", zone=None, now=None):
    cam = session.get(Camera, cam_id)
    now = now or utcnow()
    frames = _frames()
    return video_service.record_detection(
        session,
        camera=cam,
        detection=Detection(detector, 3.0, 1.0, 0.8, (10, 10, 40, 60), zone=zone, key=key, details={"drop_px": 80}),
        event_key=key,
        started_at=now - timedelta(seconds=2),
        detected_at=now,
        snapshot=frames[0],
        clip=frames,
        clip_fps=5.0,
        clip_start=now - timedelta(seconds=5),
        now=now,
    )


class TestCameras:
    def test_stream_credentials_are_encrypted_at_rest_and_never_shown(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        row = session.get(Camera, cam["id"])
        assert "S3cret" not in row.url_enc and "admin" not in row.url_enc
        assert video_service.stream_url(row) == camera_body["url"]
        assert cam["url_display"] == "rtsp://***@10.1.2.3:554/Streaming/Channels/101"
        assert "S3cret" not in client.get("/api/v1/video/cameras", headers=login("guard_chen")).text

    def test_camera_is_a_device_on_the_site_plan(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        dev = session.get(Device, cam["device_id"])
        assert dev.device_type.value == "camera"
        assert (dev.plan_x, dev.plan_y, dev.location) == (120, 80, "3号楼北侧")

    def test_r_a1_public_camera_retention_floor_(self, client, login, camera_body):
        r = client.post(
            "/api/v1/video/cameras", json={**camera_body, "retention_days": 29}, headers=login("manager_wang")
        )
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "retention_below_floor"
        key = {**camera_body, "device_key": "CAM-KEY-1", "key_target": True, "retention_days": 60}
        assert client.post("/api/v1/video/cameras", json=key, headers=login("manager_wang")).status_code == 422
        key["retention_days"] = 90
        assert client.post("/api/v1/video/cameras", json=key, headers=login("manager_wang")).status_code == 201

    def test_r_f10_public_camera_needs_signage_before_activation(self, client, login, camera_body):
        cam = _camera(client, login, {**camera_body, "signage_installed": False}, active=False)
        r = client.patch(f"/api/v1/video/cameras/{cam['id']}", json={"active": True}, headers=login("manager_wang"))
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "signage_missing"
        r = client.patch(
            f"/api/v1/video/cameras/{cam['id']}",
            json={"active": True, "signage_installed": True},
            headers=login("manager_wang"),
        )
        assert r.status_code == 200 and r.json()["active"] is True

    def test_zones_are_checked(self, client, login, camera_body):
        bad = {**camera_body, "analytics": [{"detector": "loitering", "zones": []}]}
        assert client.post("/api/v1/video/cameras", json=bad, headers=login("manager_wang")).status_code == 422
        outside = {
            **camera_body,
            "analytics": [{"detector": "intrusion", "zones": [{"name": "z", "points": [[0, 0], [1.5, 0], [0, 1]]}]}],
        }
        assert client.post("/api/v1/video/cameras", json=outside, headers=login("manager_wang")).status_code == 422

    def test_another_compound_camera_is_404(self, client, login, camera_body):
        cam = _camera(client, login, camera_body)
        assert client.get(f"/api/v1/video/cameras/{cam['id']}", headers=login("outsider_zhao")).status_code == 404

    def test_health_feeds_the_device_state_and_offline_alarm(self, client, login, session, camera_body):
        from anju.devices.service import device_service, offline_key

        cam = _camera(client, login, camera_body)
        now = utcnow()
        video_service.report_health(session, camera_id=cam["id"], up=True, fps=5.0, now=now)
        state = session.get(DeviceState, cam["device_id"])
        assert state is not None and state.last_seen_at is not None
        row = session.get(Camera, cam["id"])
        assert (row.health, row.fps) == ("up", 5.0)
        # The stream goes down: no more heartbeats; after 3 intervals the devices domain raises device_offline.
        video_service.report_health(session, camera_id=cam["id"], up=False, error="connection refused", now=now)
        dev = session.get(Device, cam["device_id"])
        went = device_service.mark_offline_overdue(session, now=now + timedelta(seconds=dev.heartbeat_seconds * 3 + 1))
        assert dev.id in went
        alarm = session.scalars(select(Alarm).where(Alarm.dedupe_key == offline_key(dev.id))).one()
        assert alarm.kind == "device_offline"
        # Up again: the heartbeat goes through device intake, which clears the offline alarm.
        video_service.report_health(session, camera_id=cam["id"], up=True, fps=5.0, now=now + timedelta(minutes=5))
        session.refresh(alarm)
        assert alarm.cleared_by_device is True


class TestDetectionsAndReview:
    def test_detection_raises_one_alarm_with_evidence_and_sha256(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        rec = _record(session, cam["id"])
        assert rec.created
        alarm = session.get(Alarm, rec.event.alarm_id)
        assert alarm.kind == "fall" and alarm.device_id == cam["device_id"]
        files = alarm.evidence["files"]
        assert {f["kind"] for f in files} == {"snapshot", "clip"}
        for item in session.scalars(select(VideoEvidence).where(VideoEvidence.event_id == rec.event.id)):
            assert sha256(evidence_store().get(item.key)) == item.sha256
        listed = client.get("/api/v1/video/events", headers=login("guard_chen")).json()
        assert listed[0]["alarm_id"] == alarm.id and len(listed[0]["evidence"]) == 2

    def test_a_restarted_worker_never_doubles_an_alarm(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        first = _record(session, cam["id"])
        again = _record(session, cam["id"])  # same incident key: a replay after a restart
        assert not again.created and again.event.id == first.event.id
        # A live decision of the same camera, detector and zone within the cooldown is the same incident; after
        # it, a new incident whose alarm aggregates into the open one (the alarm centre's dedupe).
        soon = _record(session, cam["id"], key="fall:-:live:123")
        assert not soon.created and soon.event.id == first.event.id
        later = utcnow() + timedelta(seconds=video_settings().incident_cooldown_seconds + 60)
        third = _record(session, cam["id"], key="fall:-:live:999", now=later)
        assert third.created and third.event.alarm_id == first.event.alarm_id
        assert session.scalars(select(Alarm).where(Alarm.kind == "fall")).all().__len__() == 1

    def test_r_a4_person_alarm_waits_for_review_then_confirm(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        rec = _record(session, cam["id"], detector="intrusion", zone="roof", key="intrusion:roof:1")
        alarm = session.get(Alarm, rec.event.alarm_id)
        assert alarm.status.value == "pending_review"
        r = client.post(
            f"/api/v1/video/events/{rec.event.id}/review",
            json={"verdict": "confirmed", "reason": "录像可见有人翻越"},
            headers=login("guard_chen"),
        )
        assert r.status_code == 200, r.text
        session.refresh(alarm)
        assert alarm.status.value == "new"
        again = client.post(
            f"/api/v1/video/events/{rec.event.id}/review",
            json={"verdict": "dismissed", "reason": "x"},
            headers=login("guard_chen"),
        )
        assert again.status_code == 409

    def test_dismissed_alarms_give_the_false_alarm_rate(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        a = _record(session, cam["id"], key="fall:a")
        b = _record(session, cam["id"], detector="intrusion", zone="roof", key="intrusion:b")
        c = _record(session, cam["id"], detector="intrusion", zone="roof", key="intrusion:c")
        who = login("manager_wang")
        for ev, verdict in ((b, "dismissed"), (c, "confirmed")):
            r = client.post(
                f"/api/v1/video/events/{ev.event.id}/review", json={"verdict": verdict, "reason": "复核"}, headers=who
            )
            assert r.status_code == 200, r.text
        stats = {s["detector"]: s for s in client.get("/api/v1/video/review-stats", headers=who).json()}
        assert stats["intrusion"]["false_alarm_rate"] == 0.5
        assert stats["fall"]["pending"] == 1 and stats["fall"]["false_alarm_rate"] is None
        assert session.get(Alarm, b.event.alarm_id).status.value == "false_alarm"
        del a


class TestFootage:
    def test_r_a2_every_playback_is_logged_with_reason_and_range(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        rec = _record(session, cam["id"])
        clip = session.scalars(
            select(VideoEvidence).where(VideoEvidence.event_id == rec.event.id, VideoEvidence.kind == "clip")
        ).one()
        r = client.get(f"/api/v1/video/evidence/{clip.id}", headers=login("guard_chen"))
        assert r.status_code == 422  # no reason, no footage
        r = client.get(
            f"/api/v1/video/evidence/{clip.id}", params={"reason": "核实跌倒告警"}, headers=login("guard_chen")
        )
        assert r.status_code == 200
        assert r.headers["x-evidence-sha256"] == clip.sha256 == sha256(r.content)
        log = session.scalars(select(VideoAccessLog).where(VideoAccessLog.evidence_id == clip.id)).one()
        assert log.action == "playback" and log.reason == "核实跌倒告警"
        assert (log.range_start, log.range_end, log.camera_id) == (clip.range_start, clip.range_end, cam["id"])
        listed = client.get("/api/v1/video/access-log", headers=login("manager_wang")).json()
        assert listed[0]["reason"] == "核实跌倒告警"

    def test_r_a3_exports_mask_faces(self, client, login, session, camera_body):
        """A real face photo (shared/data/faces) as the snapshot: the export pixelates it, playback does not."""
        import cv2

        from tests.video.footage import DATA, need

        photo = next(iter(sorted((need(DATA.parent / "faces") / "enrol").rglob("*.jp*g"))))
        img = cv2.imread(str(photo))
        img = cv2.resize(img, (480, round(img.shape[0] * 480 / img.shape[1])))
        from anju.video.evidence import sensitive_boxes

        faces = sensitive_boxes(img)
        assert faces, "the cascade finds the face in the enrolment photo"
        cam = _camera(client, login, camera_body)
        c = session.get(Camera, cam["id"])
        now = utcnow()
        rec = video_service.record_detection(
            session,
            camera=c,
            detection=Detection("fall", 1.0, 0.5, 0.9, (0, 0, 10, 10), key="k"),
            event_key="fall:face",
            started_at=now,
            detected_at=now,
            snapshot=img,
            clip=[img, img],
            clip_fps=5.0,
            clip_start=now,
        )
        snap = session.scalars(
            select(VideoEvidence).where(VideoEvidence.event_id == rec.event.id, VideoEvidence.kind == "snapshot")
        ).one()
        plain = client.get(
            f"/api/v1/video/evidence/{snap.id}", params={"reason": "复核"}, headers=login("manager_wang")
        )
        export = client.get(
            f"/api/v1/video/evidence/{snap.id}",
            params={"reason": "派出所调取", "action": "export"},
            headers=login("manager_wang"),
        )
        assert export.headers["x-masked"] == "1" and plain.headers["x-masked"] == "0"
        out = cv2.imdecode(np.frombuffer(export.content, np.uint8), cv2.IMREAD_COLOR)
        x, y, w, h = faces[0]
        before = cv2.imdecode(np.frombuffer(plain.content, np.uint8), cv2.IMREAD_COLOR)[y : y + h, x : x + w]
        after = out[y : y + h, x : x + w]
        # Pixelated: changed where the face was, and the face detector no longer finds a face there.
        assert float(np.mean(cv2.absdiff(after, before))) > 5.0

        def overlaps(a, b) -> bool:
            return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]

        assert not any(overlaps(b, faces[0]) for b in sensitive_boxes(out))
        actions = [x.action for x in session.scalars(select(VideoAccessLog).order_by(VideoAccessLog.id))]
        assert actions[-2:] == ["playback", "export"]

    def test_footage_needs_the_footage_permission(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        rec = _record(session, cam["id"])
        item = session.scalars(select(VideoEvidence).where(VideoEvidence.event_id == rec.event.id)).first()
        r = client.get(f"/api/v1/video/evidence/{item.id}", params={"reason": "看看"}, headers=login("staff_liu"))
        assert r.status_code == 403


class TestRetention:
    def test_r_a1_past_retention_deleted_held_kept_floor_enforced(self, client, login, session, camera_body):
        cam = _camera(client, login, {**camera_body, "retention_days": 30})
        t0 = utcnow()
        old = _record(session, cam["id"], key="fall:old", now=t0)
        held = _record(session, cam["id"], key="fall:held", now=t0)
        fresh = _record(session, cam["id"], key="fall:fresh", now=t0 + timedelta(days=20))
        r = client.post(
            f"/api/v1/video/events/{held.event.id}/hold",
            json={"until": (t0 + timedelta(days=120)).isoformat(), "reason": "公安机关调查中"},
            headers=login("manager_wang"),
        )
        assert r.status_code == 200, r.text
        # Day 29: nothing is past the 30-day floor.
        assert video_service.purge(session, now=t0 + timedelta(days=29)) == 0
        # Day 31: the old clip goes, the held one and the fresh one stay.
        assert video_service.purge(session, now=t0 + timedelta(days=31)) == 1
        for ev in (old, held, fresh):
            session.refresh(ev.event)
        assert old.event.purged_at is not None and held.event.purged_at is None and fresh.event.purged_at is None
        files = session.scalars(select(VideoEvidence).where(VideoEvidence.event_id == old.event.id)).all()
        assert all(f.key is None for f in files)
        gone = client.get(
            f"/api/v1/video/evidence/{files[0].id}", params={"reason": "x"}, headers=login("manager_wang")
        )
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "evidence_gone"
        # Day 121: the hold has ended, it goes too.
        assert video_service.purge(session, now=t0 + timedelta(days=121)) == 2

    def test_retention_job_runs_in_batches(self, client, login, session, camera_body):
        cam = _camera(client, login, camera_body)
        t0 = utcnow() - timedelta(days=40)
        for i in range(3):
            _record(session, cam["id"], key=f"fall:{i}", now=t0)
        session.commit()
        assert purge_expired(now=utcnow()) == 3
        assert session.scalars(select(VideoEvent).where(VideoEvent.purged_at.is_(None))).all() == []


@pytest.mark.parametrize("verdict", list(ReviewVerdict))
def test_review_verdicts_are_the_enum(verdict):
    assert verdict.value in ("confirmed", "dismissed")
    assert AccessAction.export.value == "export"
