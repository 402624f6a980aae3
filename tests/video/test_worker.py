"""The edge worker end to end on a real clip: a camera replays a GMDCSA24 fall, the fall alarm appears with its
evidence; a restart replays the same clip without a second alarm; bad input marks the camera down; leases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.video.models import Camera, VideoEvent, VideoEvidence
from anju.video.repository import VideoRepository
from anju.video.worker import VideoWorker
from tests.video.footage import FALLS, need


def _camera(client, login, camera_body, url: str, key: str = "CAM-W-1") -> int:
    body = {**camera_body, "device_key": key, "url": url, "analytics": [{"detector": "fall"}]}
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang")).is_success
    return cid


def test_fall_clip_to_alarm_with_evidence_and_no_double_on_restart(client, login, session, camera_body):
    clip = need(FALLS / "s1_Fall_13.mp4")
    cid = _camera(client, login, camera_body, str(clip))
    w = VideoWorker("edge-1")
    run = w.open_run(cid)
    assert run is not None
    assert w.process(run, replay=False)
    assert run.recorded == 1
    ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).one()
    assert ev.detector == "fall" and (ev.started_at - ev.detected_at).total_seconds() + 10 >= 0.0
    alarm = session.get(Alarm, ev.alarm_id)
    assert alarm.kind == "fall" and alarm.status.value == "pending_review"  # R-A4
    files = session.scalars(select(VideoEvidence).where(VideoEvidence.event_id == ev.id)).all()
    clip_row = next(f for f in files if f.kind == "clip")
    assert clip_row.frames >= 10  # seconds before and after the decision at 5 fps
    cam = session.get(Camera, cid)
    assert cam.health == "up" and cam.last_frame_at is not None
    # A restarted worker replays the file from the start: same incident keys, no new event, no new alarm.
    again = VideoWorker("edge-2").open_run(cid)
    assert again is not None
    assert VideoWorker("edge-2").process(again, replay=False)
    assert again.recorded == 0 and again.duplicates == 1
    assert len(session.scalars(select(Alarm).where(Alarm.kind == "fall")).all()) == 1


def test_bad_input_marks_the_camera_down_without_crashing(client, login, session, camera_body, tmp_path):
    not_video = tmp_path / "notes.mp4"
    not_video.write_bytes(b"this is not a video file at all" * 100)
    cid = _camera(client, login, camera_body, str(not_video))
    w = VideoWorker("edge-1")
    run = w.open_run(cid)
    assert run is not None
    assert w.process(run, replay=False) is False
    cam = session.get(Camera, cid)
    assert cam.health == "down" and cam.last_error
    missing = _camera(client, login, camera_body, str(tmp_path / "gone.avi"), key="CAM-W-2")
    run2 = w.open_run(missing)
    assert run2 is not None and w.process(run2, replay=False) is False


def test_two_workers_share_cameras_by_lease_and_failover(client, login, session, camera_body):
    a = _camera(client, login, camera_body, "rtsp://cam/a", key="CAM-L-1")
    b = _camera(client, login, camera_body, "rtsp://cam/b", key="CAM-L-2")
    repo = VideoRepository(session)
    now = utcnow()
    until = now + timedelta(seconds=30)
    first = repo.claim("w1", now=now, until=until, limit=1)
    second = repo.claim("w2", now=now, until=until, limit=8)
    assert len(first) == 1 and set(first) | set(second) >= {a, b} and not set(first) & set(second)
    # w1 dies: once its lease runs out, w2 takes its camera; w1's renewal cannot take it back meanwhile.
    later = now + timedelta(seconds=31)
    taken = repo.claim("w2", now=later, until=later + timedelta(seconds=30), limit=8)
    assert set(first) <= set(taken)
    assert not set(first) & set(repo.claim("w1", now=later, until=later + timedelta(seconds=30), limit=8))
