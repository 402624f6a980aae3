"""Real RTSP: a camera served over RTSP/RTP (RFC 2326 + RFC 2435 JPEG, interleaved on TCP, Basic auth) inside the
test from real footage, read by the product's own stream code (OpenCV's FFmpeg backend through
`VideoWorker.process`), as an IP camera's `rtsp://user:password@host/…` URL would be in production.

No timings are asserted; the stream is paced in real time, so the fall test takes the clip's ~4 s plus its
2 s post-roll.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.video.models import Camera, VideoEvent, VideoEvidence
from anju.video.worker import VideoWorker
from tests.video.footage import FALLS, VTEST, need
from tests.video.rtsp import RtspCamera, jpeg_parts
from tests.video.streams import jpeg_frames


def _camera(client, login, camera_body, url: str, key: str, analytics: list) -> int:
    body = {**camera_body, "device_key": key, "url": url, "analytics": analytics}
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    assert r.json()["url_display"].startswith("rtsp://***@127.0.0.1:")  # the password never leaves the server
    cid = r.json()["id"]
    assert client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang")).is_success
    return cid


@pytest.mark.db_agnostic
def test_rfc2435_payload_carries_the_jpeg_scan_and_its_tables():
    frame = jpeg_frames(need(VTEST), limit=1)[0]
    kind, w, h, qt, scan = jpeg_parts(frame)
    assert (kind, w, h, len(qt)) == (1, 768, 576, 128) and frame.find(scan) > 0


def test_rtsp_camera_frames_are_read_and_the_camera_is_up_and_a_wrong_password_is_down(
    client, login, session, camera_body
):
    frames = jpeg_frames(need(VTEST), limit=25, step=4)
    cam = RtspCamera(frames, fps=25)
    cam.start()
    try:
        cid = _camera(client, login, camera_body, cam.url(), "CAM-RTSP-1", [{"detector": "fall"}])
        w = VideoWorker("edge-rtsp")
        run = w.open_run(cid)
        assert run is not None
        seen: list[np.ndarray] = []
        feed = run.pipeline.feed

        def watched(frame, at):
            seen.append(frame.bgr)
            return feed(frame, at)

        run.pipeline.feed = watched  # type: ignore[method-assign]
        assert w.process(run, stop=lambda: run.frames >= 8)
        assert "PLAY" in cam.requests and cam.sent_frames >= 8
        # What the worker analysed is the footage (decoded from RTP/JPEG), not noise: each sampled frame is
        # within JPEG error of one of the frames served.
        served = [cv2.resize(cv2.imdecode(np.frombuffer(b, np.uint8), cv2.IMREAD_COLOR), (640, 480)) for b in frames]
        for img in seen[:4]:
            assert img.shape == (480, 640, 3)
            assert min(float(np.mean(cv2.absdiff(img, s))) for s in served) < 3.0
        row = session.get(Camera, cid)
        session.refresh(row)
        assert row.health == "up" and row.snapshot_key and row.last_error is None
        # The camera's stored password is wrong: the RTSP server says 401, the camera is down, nothing crashes.
        r = client.patch(f"/api/v1/video/cameras/{cid}", json={"url": cam.url("wrong")}, headers=login("manager_wang"))
        assert r.status_code == 200
        bad = w.open_run(cid)
        assert bad is not None and w.process(bad, stop=lambda: bad.frames >= 1) is False
        session.refresh(row)
        assert row.health == "down" and row.last_error == "cannot open the stream"
    finally:
        cam.stop()


def test_a_fall_on_an_rtsp_camera_raises_its_alarm_with_the_clip(client, login, session, camera_body):
    """GMDCSA24 s1_Fall_13 (640×480) served at its own 29.6 fps over RTSP: the live path (wall-clock sampling)
    finds the fall, raises the alarm at the decision and attaches the clip after the post-roll."""
    frames = jpeg_frames(need(FALLS / "s1_Fall_13.mp4"), limit=200)
    cam = RtspCamera(frames, fps=29.62)
    cam.start()
    try:
        cid = _camera(client, login, camera_body, cam.url(), "CAM-RTSP-2", [{"detector": "fall"}])
        w = VideoWorker("edge-rtsp")
        run = w.open_run(cid)
        assert run is not None
        # One pass of the clip (its ~4.3 s) plus the post-roll; a pass without a fall stops it too.
        assert w.process(run, stop=lambda: run.attached >= 1 or cam.sent_frames >= len(frames) + 70)
    finally:
        cam.stop()
    assert run.recorded == 1 and run.attached == 1
    ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).one()
    assert ev.detector == "fall" and ev.clip_state == "attached" and ev.event_key.startswith("fall:-:live:")
    kinds = set(session.scalars(select(VideoEvidence.kind).where(VideoEvidence.event_id == ev.id)))
    assert kinds == {"snapshot", "clip"}
    assert session.get(Alarm, ev.alarm_id).kind == "fall"
