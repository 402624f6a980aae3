"""高空抛物 confirmed by review → one work order to find the floor and one notice to the building's residents,
both through the outbox (the work-order and notices domains subscribe; video writes neither table)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.notices.models import Notice, NoticeDelivery
from anju.registry.models import House
from anju.video.detectors.base import Detection
from anju.video.enums import ReviewVerdict
from anju.video.models import Camera
from anju.video.service import video_service
from anju.workorders.models import WorkOrder
from tests.conftest import run_worker_once

DETAILS = {"floor": 14, "floor_band": [14, 17], "start_row": 0.3, "track": [[0.0, 100, 60], [0.5, 101, 140]]}


def _camera(client, login, session, ids, camera_body) -> int:
    building = session.get(House, ids["li_house"]).building_id
    body = {**camera_body, "building_id": building, "analytics": [{"detector": "thrown_object"}]}
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _drop(session, cam_id: int, key: str, details=DETAILS):
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 255, (90, 160, 3), dtype=np.uint8) for _ in range(4)]
    now = utcnow()
    return video_service.record_detection(
        session,
        camera=session.get(Camera, cam_id),
        detection=Detection("thrown_object", 2.0, 1.5, 0.9, (90, 50, 20, 100), key=key, details=details),
        event_key=key,
        started_at=now - timedelta(seconds=1),
        detected_at=now,
        snapshot=frames[0],
        clip=frames,
        clip_fps=5.0,
        clip_start=now - timedelta(seconds=3),
        now=now,
    ).event


def _review(client, login, event_id: int, verdict: str):
    return client.post(
        f"/api/v1/video/events/{event_id}/review",
        json={"verdict": verdict, "reason": "回放确认有物品坠落"},
        headers=login("guard_chen"),
    )


def test_r_a4_thrown_object_waits_for_review_and_a_dismissal_opens_nothing(client, login, session, ids, camera_body):
    cam = _camera(client, login, session, ids, camera_body)
    ev = _drop(session, cam, "thrown:1.5")
    alarm = session.get(Alarm, ev.alarm_id)
    assert alarm.status.value == "pending_review"
    assert "14–17" in alarm.title  # the floor band, not one guessed floor
    assert _review(client, login, ev.id, "dismissed").status_code == 200
    run_worker_once()
    assert session.scalars(select(WorkOrder).where(WorkOrder.alarm_id == ev.alarm_id)).all() == []
    assert session.scalars(select(Notice).where(Notice.title.contains("高空抛物"))).all() == []


def test_confirmed_thrown_object_opens_one_work_order_and_tells_the_building(client, login, session, ids, camera_body):
    cam = _camera(client, login, session, ids, camera_body)
    first = _drop(session, cam, "thrown:1.5")
    second = _drop(session, cam, "thrown:9.5")  # a second drop while the alarm is open: the same alarm
    assert first.alarm_id == second.alarm_id
    assert _review(client, login, first.id, ReviewVerdict.confirmed.value).status_code == 200
    assert _review(client, login, second.id, ReviewVerdict.confirmed.value).status_code == 200
    run_worker_once()
    run_worker_once()  # redelivery changes nothing
    orders = session.scalars(select(WorkOrder).where(WorkOrder.alarm_id == first.alarm_id)).all()
    assert len(orders) == 1
    assert "14–17" in orders[0].title
    building = session.get(House, ids["li_house"]).building_id
    notices = session.scalars(select(Notice).where(Notice.title.contains("高空抛物"))).all()
    assert len(notices) == 1
    n = notices[0]
    assert (n.target_kind, n.target_id) == ("building", building)
    assert "14–17" in n.body and "about floors 14–17" in n.body
    # The residents of the building receive it (resident_li lives in it); the notice names nobody.
    got = session.scalars(select(NoticeDelivery.person_id).where(NoticeDelivery.notice_id == n.id)).all()
    assert ids["li_person"] in got
    assert "李" not in n.body


def test_review_of_another_compound_event_is_404(client, login, session, ids, camera_body):
    cam = _camera(client, login, session, ids, camera_body)
    ev = _drop(session, cam, "thrown:1.5")
    assert _review(client, login, ev.id, "confirmed").headers is not None
    r = client.post(
        f"/api/v1/video/events/{ev.id}/review",
        json={"verdict": "confirmed", "reason": "x" * 5},
        headers=login("outsider_zhao"),
    )
    assert r.status_code == 404
