"""Console video pages: cameras and the review queue, reviewing from the queue, viewing evidence (reason asked,
access logged, R-A2), a masked export (R-A3), the zone editor on the camera's picture; zh-CN and English."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.video.detectors.base import Detection
from anju.video.models import Camera, VideoAccessLog
from anju.video.service import video_service

ORIGIN = {"Origin": "http://testserver"}


def _setup(client, login, session, camera_body):
    r = client.post("/api/v1/video/cameras", json=camera_body, headers=login("manager_wang"))
    cid = r.json()["id"]
    client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang"))
    cam = session.get(Camera, cid)
    frame = np.full((120, 160, 3), 90, dtype=np.uint8)
    video_service.report_health(session, camera_id=cid, up=True, fps=5.0, snapshot=frame)
    now = utcnow()
    rec = video_service.record_detection(
        session,
        camera=cam,
        detection=Detection("intrusion", 2.0, 1.0, 0.9, (10, 10, 30, 60), zone="roof", key="k"),
        event_key="intrusion:roof:page",
        started_at=now,
        detected_at=now,
        snapshot=frame,
        clip=[frame, frame, frame],
        clip_fps=5.0,
        clip_start=now,
    )
    return cid, rec.event


def test_queue_review_and_evidence_with_access_log(client, login, session, persona, camera_body):
    _, ev = _setup(client, login, session, camera_body)
    persona("guard_chen").web(client)
    page = client.get("/console/video")
    assert page.status_code == 200
    assert "北门高空抛物" in page.text and f'data-event="{ev.id}"' in page.text
    assert (
        "区域入侵" in page.text
        and "intrusion" not in page.text.split('data-testid="video-queue"')[1][:2000].split("action=")[0]
    )
    r = client.post(
        f"/console/video/events/{ev.id}/view",
        data={"reason": "核实入侵告警", "action": "playback"},
        follow_redirects=True,
        headers=ORIGIN,
    )
    assert (
        r.status_code == 200 and 'data-testid="evidence-snapshot"' in r.text and 'data-testid="evidence-clip"' in r.text
    )
    logs = session.scalars(select(VideoAccessLog).where(VideoAccessLog.event_id == ev.id)).all()
    assert {x.reason for x in logs} == {"核实入侵告警"} and len(logs) == 2
    r = client.post(
        f"/console/video/events/{ev.id}/review",
        data={"verdict": "confirmed", "reason": "属实"},
        follow_redirects=True,
        headers=ORIGIN,
    )
    assert r.status_code == 200 and "已复核" in r.text
    session.refresh(ev)
    assert ev.review == "confirmed" and session.get(Alarm, ev.alarm_id).status.value == "new"


def test_viewing_without_a_reason_shows_nothing(client, login, session, persona, camera_body):
    _, ev = _setup(client, login, session, camera_body)
    persona("guard_chen").web(client)
    r = client.post(f"/console/video/events/{ev.id}/view", data={"reason": " "}, follow_redirects=True, headers=ORIGIN)
    assert 'data-testid="evidence-snapshot"' not in r.text
    assert session.scalars(select(VideoAccessLog).where(VideoAccessLog.event_id == ev.id)).all() == []


def test_zone_editor_saves_a_zone_and_english_labels(client, login, session, persona, camera_body):
    cid, _ = _setup(client, login, session, camera_body)
    persona("manager_wang").web(client)
    page = client.get(f"/console/video/cameras/{cid}")
    assert page.status_code == 200 and 'id="zone-picture"' in page.text
    r = client.post(
        f"/console/video/cameras/{cid}/zones",
        data={
            "detector": "loitering",
            "name": "楼道口",
            "points": "[[0.1,0.1],[0.4,0.1],[0.4,0.5]]",
            "start": "",
            "end": "",
        },
        follow_redirects=True,
        headers=ORIGIN,
    )
    assert r.status_code == 200 and "区域已保存" in r.text
    cam = session.get(Camera, cid)
    session.refresh(cam)
    loiter = next(a for a in cam.analytics if a["detector"] == "loitering")
    assert loiter["zones"][0]["name"] == "楼道口" and len(loiter["zones"][0]["points"]) == 3
    bad = client.post(
        f"/console/video/cameras/{cid}/zones",
        data={"detector": "loitering", "name": "x", "points": "[[0.1,0.1]]"},
        follow_redirects=True,
        headers=ORIGIN,
    )
    assert "至少需要 3 个点" in bad.text
    client.cookies.set("anju_lang", "en")
    en = client.get("/console/video")
    assert "Review queue" in en.text and "Intrusion" in en.text


def test_other_compound_event_page_is_404(client, login, session, persona, camera_body):
    _, ev = _setup(client, login, session, camera_body)
    persona("outsider_zhao").web(client)
    assert client.get(f"/console/video/events/{ev.id}").status_code == 404


def test_camera_list_shows_reconnect_state_in_both_languages(client, login, session, persona, camera_body):
    from datetime import timedelta

    cid, _ = _setup(client, login, session, camera_body)
    video_service.report_health(session, camera_id=cid, up=False, error="stream dropped")
    video_service.note_retry(session, camera_id=cid, retry_at=utcnow() + timedelta(seconds=4))
    video_service.note_retry(session, camera_id=cid, retry_at=utcnow() + timedelta(seconds=8))
    persona("manager_wang").web(client)
    page = client.get("/console/video")
    assert "第 2 次重连失败" in page.text and "中断" in page.text
    client.cookies.set("anju_lang", "en")
    assert "2 failed reconnects, next try" in client.get("/console/video").text
    # Up again: the count starts over and the note goes away.
    video_service.report_health(session, camera_id=cid, up=True, fps=5.0)
    assert "failed reconnects" not in client.get("/console/video").text
