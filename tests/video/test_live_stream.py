"""Live streams: the worker reads a network stream (MJPEG over HTTP served inside the test from the real
vtest.avi footage), keeps the camera's health (up, fps, last frame), notices a drop, and reconnects with
exponential backoff when the camera comes back. No timings are asserted: waits go through a fake sleep."""

from __future__ import annotations

from sqlalchemy import select

from anju.video.config import video_settings
from anju.video.models import Camera
from anju.video.worker import Backoff, VideoWorker
from tests.video.footage import VTEST, need
from tests.video.streams import MjpegCamera, free_port, jpeg_frames


def _camera(client, login, camera_body, url: str) -> int:
    body = {**camera_body, "device_key": "CAM-LIVE-1", "url": url, "analytics": [{"detector": "fall"}]}
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang")).is_success
    return cid


def test_backoff_doubles_to_its_cap_and_resets():
    b = Backoff(1.0, 8.0)
    assert [b.next() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    b.reset()
    assert b.next() == 1.0


def test_live_mjpeg_stream_is_read_and_the_camera_is_up(client, login, session, camera_body):
    cam = MjpegCamera(jpeg_frames(need(VTEST), limit=40), fps=10)
    cam.start()
    try:
        cid = _camera(client, login, camera_body, cam.url)
        w = VideoWorker("edge-live")
        run = w.open_run(cid)
        assert run is not None
        assert w.process(run, stop=lambda: run.frames >= 12)
        assert run.frames >= 12
        row = session.get(Camera, cid)
        session.refresh(row)
        assert row.health == "up" and row.last_frame_at is not None and row.snapshot_key
    finally:
        cam.stop()


def test_a_dropped_stream_marks_the_camera_down(client, login, session, camera_body, monkeypatch):
    monkeypatch.setenv("ANJU_VIDEO_STALL_SECONDS", "1")
    monkeypatch.setenv("ANJU_VIDEO_READ_TIMEOUT_SECONDS", "1")
    video_settings.cache_clear()
    cam = MjpegCamera(jpeg_frames(need(VTEST), limit=40), fps=10)
    cam.start()
    cid = _camera(client, login, camera_body, cam.url)
    w = VideoWorker("edge-live")
    run = w.open_run(cid)
    assert run is not None

    def pull_the_plug() -> bool:
        if run.frames >= 8 and cam.alive.is_set():
            cam.stop()  # mid-stream
        return False

    assert w.process(run, stop=pull_the_plug) is False
    row = session.get(Camera, cid)
    session.refresh(row)
    assert row.health == "down" and row.last_error == "stream dropped"


def test_refused_then_back_reconnects_with_backoff(client, login, session, camera_body, monkeypatch):
    monkeypatch.setenv("ANJU_VIDEO_OPEN_TIMEOUT_SECONDS", "1")
    video_settings.cache_clear()
    port = free_port()
    cam = MjpegCamera(jpeg_frames(need(VTEST), limit=40), fps=10, port=port)
    cid = _camera(client, login, camera_body, cam.url)  # nothing listens yet: connection refused
    w = VideoWorker("edge-live")
    slept: list[float] = []
    states: list[tuple[str, int]] = []

    def sleep(seconds: float) -> None:
        row = session.get(Camera, cid)
        session.refresh(row)
        states.append((row.health, row.retries))
        slept.append(seconds)
        if len(slept) == 3:
            cam.start()  # the camera is back after the third wait

    try:
        waits = w.supervise(cid, should_stop=lambda: len(slept) > 6, sleep=sleep, run_stop=lambda r: r.frames >= 10)
    finally:
        cam.stop()
    assert waits == [1.0, 2.0, 4.0]  # three refusals, then it read the stream
    assert [h for h, _ in states] == ["down", "down", "down"]
    assert [n for _, n in states] == [1, 2, 3]  # failures in a row, shown on the camera list
    row = session.scalars(select(Camera).where(Camera.id == cid)).one()
    session.refresh(row)
    assert row.health == "up" and row.retries == 0 and row.retry_at is None
