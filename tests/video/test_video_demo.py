"""The demo's cameras (issue 14): registered and active on the shared footage, so the video worker has something
to watch in the demo (its stairwell camera's fall clip raises a 跌倒 incident); skipped with a log line when the
footage is absent."""

from __future__ import annotations

import logging

from sqlalchemy import select

from anju.sim import video_demo
from anju.video.models import Camera, VideoEvent
from anju.video.service import video_service
from anju.video.worker import VideoWorker
from tests.video.footage import need


def _build(session, ids) -> int:
    return video_demo.build_video_demo(
        session, compound_id=ids["A"], li_person_id=ids["li_person"], committee_person_id=ids["li_person"]
    )


def test_demo_cameras_replay_the_shared_footage_and_the_worker_sees_the_fall(session, ids):
    for *_, rel, _ in video_demo.CAMERAS:
        need(video_demo.VIDEO / rel)
    assert _build(session, ids) == len(video_demo.CAMERAS)
    cams = {c.name: c for c in session.scalars(select(Camera).where(Camera.compound_id == ids["A"])).all()}
    for _key, name, _b, _loc, rel, analytics in video_demo.CAMERAS:
        cam = cams[name]
        assert cam.active and cam.signage_installed
        assert video_service.stream_url(cam) == str((video_demo.VIDEO / rel).resolve())
        assert [a["detector"] for a in cam.analytics] == [a["detector"] for a in analytics]
    stair = cams["2号楼一层楼道"]
    w = VideoWorker("demo-test")
    run = w.open_run(stair.id)
    assert run is not None and w.process(run, replay=False)
    assert run.recorded == 1
    ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == stair.id)).one()
    assert ev.detector == "fall" and ev.alarm_id is not None


def test_missing_footage_skips_the_camera_with_a_log_line(session, ids, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(video_demo, "VIDEO", tmp_path / "no-video")
    with caplog.at_level(logging.INFO, logger="anju.sim.video"):
        assert _build(session, ids) == 0
    assert session.scalars(select(Camera).where(Camera.compound_id == ids["A"])).all() == []
    assert sum("skipped" in r.getMessage() for r in caplog.records) == len(video_demo.CAMERAS)
