"""A camera that replays a file (the demo's cameras) reads it at the pace it was filmed and loops it, and a
looping clip records each real event in it once, not once per pass; live decisions of the same camera, detector
and zone within the cooldown are one incident. The pacing runs on a fake clock: no waiting in the test."""

from __future__ import annotations

from datetime import timedelta

import cv2
import numpy as np
from sqlalchemy import func, select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.video.config import video_settings
from anju.video.detectors.base import Detection
from anju.video.models import Camera, VideoEvent
from anju.video.service import video_service
from anju.video.worker import VideoWorker
from tests.video.footage import FALLS, need


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        self.slept += seconds


def test_a_looping_replay_is_paced_in_real_time_and_records_its_fall_once(client, login, session, camera_body):
    clip = need(FALLS / "s1_Fall_13.mp4")
    cap = cv2.VideoCapture(str(clip))
    duration = cap.get(cv2.CAP_PROP_FRAME_COUNT) / cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    body = {**camera_body, "device_key": "CAM-LOOP-1", "url": str(clip), "analytics": [{"detector": "fall"}]}
    cid = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang")).json()["id"]
    assert client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang")).is_success
    w = VideoWorker("edge-loop")
    clock = FakeClock()
    runs: list = []

    def two_passes(r) -> bool:
        if r.loop >= 2 and r not in runs:
            runs.append(r)
        return r.loop >= 2

    # The path `anju video-worker` takes for each camera: supervise → process(replay=True), paced by default.
    w.supervise(cid, should_stop=lambda: bool(runs), run_stop=two_passes, clock=clock)
    (run,) = runs
    # Two passes took the clip's own time on the clock (unpaced, they take what decoding takes: far less).
    assert abs(clock.slept - 2 * duration) < 0.1
    # The fall in the clip was decided on each pass, and recorded once: one incident, one alarm.
    assert run.recorded == 1 and run.duplicates == 1
    assert session.scalar(select(func.count()).select_from(VideoEvent).where(VideoEvent.camera_id == cid)) == 1
    cam = session.get(Camera, cid)
    assert session.scalar(select(func.count()).select_from(Alarm).where(Alarm.device_id == cam.device_id)) == 1


def test_live_decisions_within_the_cooldown_are_one_incident(client, login, session, camera_body):
    cid = client.post("/api/v1/video/cameras", json=camera_body, headers=login("manager_wang")).json()["id"]
    cam = session.get(Camera, cid)
    frame = np.full((96, 128, 3), 80, dtype=np.uint8)
    t0 = utcnow()
    cooldown = video_settings().incident_cooldown_seconds

    def decide(seconds: float, zone: str | None = "roof", detector: str = "intrusion"):
        at = t0 + timedelta(seconds=seconds)
        return video_service.record_detection(
            session,
            camera=cam,
            detection=Detection(detector, 1.0, 0.5, 0.9, (5, 5, 20, 40), zone=zone, key=f"k{seconds}"),
            event_key=f"{detector}:{zone}:live:{seconds}",  # a new time bucket each: keys differ
            started_at=at,
            detected_at=at,
            snapshot=frame,
            clip=None,
            clip_fps=5.0,
            clip_start=at,
        )

    first = decide(0)
    assert first.created
    again = decide(cooldown / 2)
    assert not again.created and again.event.id == first.event.id  # the same person, the same incident
    assert decide(cooldown / 2, zone="gate").created  # another zone is another incident
    assert decide(cooldown * 2).created  # well after the cooldown: a new incident
