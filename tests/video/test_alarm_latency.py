"""Alarm at the decision, clip after the post-roll (issue 14: "alarm ≤ 2 s after the detector's decision").

The worker replays a real GMDCSA24 fall clip. The gap between the detector's decision and the alarm is measured
in the clip's own sampled frames (stream time), never in wall time: the alarm must be in the alarm centre before
the worker analyses the next frame, while the clip (pre-roll to 2 s post-roll) attaches to the same incident only
once its post-roll has been recorded. Through device intake (HTTP push, the same signed path devices use) the
parts are idempotent: a replay stores nothing new, a clip arriving first still gives one incident, and a lost or
corrupt clip leaves the alarm standing with a state the reviewer sees.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.video.config import video_settings
from anju.video.enums import ClipState
from anju.video.evidence import evidence_store, sha256
from anju.video.models import Camera, VideoEvent, VideoEvidence
from anju.video.push import DeviceIdentity, HttpPusher
from anju.video.service import clip_status, pushed_key, video_service
from anju.video.worker import VideoWorker
from tests.conftest import run_worker_once
from tests.video.footage import FALLS, need

CLIP = "s1_Fall_13.mp4"


def _camera(client, login, camera_body, key: str) -> int:
    body = {**camera_body, "device_key": key, "url": str(need(FALLS / CLIP)), "analytics": [{"detector": "fall"}]}
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert client.patch(f"/api/v1/video/cameras/{cid}", json={"active": True}, headers=login("manager_wang")).is_success
    return cid


def _state(session, cid: int) -> tuple[int | None, str | None, set[str]]:
    session.expire_all()
    ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).one_or_none()
    if ev is None:
        return None, None, set()
    kinds = set(session.scalars(select(VideoEvidence.kind).where(VideoEvidence.event_id == ev.id)))
    return ev.alarm_id, ev.clip_state, kinds


def test_fall_alarm_is_raised_at_the_decision_frame_and_the_clip_attaches_after_the_post_roll(
    client, login, session, camera_body
):
    cid = _camera(client, login, camera_body, "CAM-LAT-1")
    w = VideoWorker("edge-latency")
    run = w.open_run(cid)
    assert run is not None
    feed = run.pipeline.feed
    seen: list[tuple[float, tuple[int | None, str | None, set[str]]]] = []  # before each frame is analysed
    decisions: list[float] = []

    def watched(frame, at):
        seen.append((frame.t, _state(session, cid)))
        out = feed(frame, at)
        if out:
            decisions.append(frame.t)
        return out

    run.pipeline.feed = watched  # type: ignore[method-assign]
    assert w.process(run, replay=False)
    assert len(decisions) == 1 and run.recorded == 1 and run.attached == 1
    decided = decisions[0]
    after = [(t, st) for t, st in seen if t > decided]
    assert after, "the clip goes on after the decision"
    # The very next sampled frame already sees the alarm: 0 frames (0.0 s of stream time) after the decision;
    # before this change it came with the clip, post_seconds (10 frames at 5 fps) later.
    next_t, (alarm_id, clip_state, kinds) = after[0]
    assert alarm_id is not None and clip_state == "pending" and kinds == {"snapshot"}
    times = [t for t, _ in seen]
    assert times.index(next_t) == times.index(decided) + 1  # the next sampled frame: a gap of 0 frames
    assert next_t - decided < video_settings().post_seconds  # under 2 s of stream time (one sample step here)
    alarm = session.get(Alarm, alarm_id)
    assert alarm.kind == "fall" and alarm.status.value == "pending_review"  # R-A4 as before
    # The clip attaches only once the post-roll has been recorded (or the file ended), to the same incident.
    post = video_settings().post_seconds
    attached_at = next((t for t, st in after if "clip" in st[2]), None)
    assert all(st[2] == {"snapshot"} for t, st in after if t <= decided + post - 1e-6)
    assert attached_at is None or attached_at > decided + post - 1e-6
    alarm_id2, clip_state, kinds = _state(session, cid)
    assert (alarm_id2, clip_state, kinds) == (alarm_id, "attached", {"snapshot", "clip"})
    ev = session.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid)).one()
    clip = session.scalars(
        select(VideoEvidence).where(VideoEvidence.event_id == ev.id, VideoEvidence.kind == "clip")
    ).one()
    assert clip.range_start < ev.detected_at < clip.range_end  # pre-roll and post-roll around the decision
    assert sha256(evidence_store().get(clip.key)) == clip.sha256
    # A restarted worker replays the file: nothing new is stored, no second alarm.
    again = w.open_run(cid)
    assert again is not None and w.process(again, replay=False)
    assert (again.recorded, again.duplicates, again.attached) == (0, 1, 0)
    assert session.scalar(select(func.count()).select_from(Alarm).where(Alarm.kind == "fall")) == 1


class Recording:
    """Hands each message to the real HTTP push (the platform's device intake) and runs the platform's outbox
    right after, the way its worker would; remembers the stream time each part left at."""

    def __init__(self, http: HttpPusher, clock: list[float]) -> None:
        self.http, self.clock = http, clock
        self.sent: list[tuple[float, str, DeviceIdentity, dict[str, Any]]] = []

    def send(self, who: DeviceIdentity, message: dict[str, Any]) -> None:
        part = message["data"]["video_part"]
        self.http.send(who, message)
        run_worker_once()
        self.sent.append((self.clock[-1], part, who, message))

    def close(self) -> None:
        pass


def _events_api(client, login, cid: int) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/video/events?camera_id={cid}", headers=login("manager_wang"))
    assert r.status_code == 200, r.text
    return r.json()


def test_http_push_alarm_then_clip_is_idempotent_and_order_free(client, login, session, camera_body):
    cid = _camera(client, login, camera_body, "CAM-LAT-2")
    clock: list[float] = [0.0]
    pusher = Recording(HttpPusher("", client=client), clock)
    w = VideoWorker("edge-http", pusher=pusher)
    run = w.open_run(cid)
    assert run is not None and run.identity is not None
    feed = run.pipeline.feed
    views: list[tuple[float, list[dict[str, Any]]]] = []

    def watched(frame, at):
        if pusher.sent and not views:  # the first frame after the alarm part went out
            views.append((frame.t, _events_api(client, login, cid)))
        clock.append(frame.t)
        return feed(frame, at)

    run.pipeline.feed = watched  # type: ignore[method-assign]
    assert w.process(run, replay=False)
    assert [p for _, p, _, _ in pusher.sent] == ["alarm", "clip"]
    (t_alarm, *_), (t_clip, *_) = pusher.sent
    # The alarm part left while the deciding frame was analysed; the API showed the incident and its alarm at
    # the next frame, its clip still pending. The clip part left once the post-roll was recorded.
    (t_seen, listed) = views[0]
    assert clock.index(t_seen) == clock.index(t_alarm) + 1  # the very next sampled frame
    assert len(listed) == 1 and listed[0]["alarm_id"] and listed[0]["clip_state"] == "pending"
    assert [e["kind"] for e in listed[0]["evidence"]] == ["snapshot"]
    assert t_clip >= t_alarm + video_settings().post_seconds - 1e-6 or t_clip == clock[-1]
    done = _events_api(client, login, cid)
    assert len(done) == 1 and done[0]["clip_state"] == "attached"
    assert sorted(e["kind"] for e in done[0]["evidence"]) == ["clip", "snapshot"]
    # Replays in either order (a retry, a restarted edge): intake counts duplicates, nothing new is stored.
    for _, _, who, msg in reversed(pusher.sent):
        pusher.http.send(who, msg)
    run_worker_once()
    assert len(_events_api(client, login, cid)) == 1
    assert (
        session.scalar(select(func.count()).select_from(Alarm).where(Alarm.device_id == run_device(session, cid))) == 1
    )


def run_device(session, cid: int) -> int:
    return session.get(Camera, cid).device_id


def test_clip_first_then_alarm_gives_one_incident(client, login, session, camera_body):
    """The parts may arrive in either order (separate deliveries): the clip part alone records the whole
    incident and raises the alarm; the late alarm part attaches nothing new."""
    cid = _camera(client, login, camera_body, "CAM-LAT-3")
    captured: list[tuple[DeviceIdentity, dict[str, Any]]] = []

    class Capture:
        def send(self, who: DeviceIdentity, message: dict[str, Any]) -> None:
            captured.append((who, message))

        def close(self) -> None:
            pass

    w = VideoWorker("edge-order", pusher=Capture())
    run = w.open_run(cid)
    assert run is not None and w.process(run, replay=False)
    assert [m["data"]["video_part"] for _, m in captured] == ["alarm", "clip"]
    http = HttpPusher("", client=client)
    http.send(*captured[1])
    run_worker_once()
    first = _events_api(client, login, cid)
    assert len(first) == 1 and first[0]["alarm_id"] and first[0]["clip_state"] == "attached"
    http.send(*captured[0])
    run_worker_once()
    assert [e["id"] for e in _events_api(client, login, cid)] == [first[0]["id"]]


def test_a_lost_or_corrupt_clip_leaves_the_alarm_standing_and_says_so(client, login, session, persona, camera_body):
    cid = _camera(client, login, camera_body, "CAM-LAT-4")
    who = video_service.device_identity(session, session.get(Camera, cid))
    assert who is not None
    http = HttpPusher("", client=client)
    store = evidence_store()
    snap = b"\xff\xd8 not really a jpeg but a stored file \xff\xd9"
    digest = sha256(snap)
    store.put(pushed_key(digest, "jpg"), snap)
    now = utcnow()
    data = {
        "video_part": "alarm",
        "video_detector": "fall",
        "video_key": "fall:-:live:1",
        "score": 0.8,
        "started_at": (now - timedelta(seconds=2)).isoformat(),
        "detected_at": now.isoformat(),
        "box": "10,20,30,40",
        "snapshot": digest,
    }
    http.send(who, {"event_id": "v-lost-a", "ts": now.isoformat(), "data": data})
    run_worker_once()
    (ev,) = _events_api(client, login, cid)
    assert ev["alarm_id"] and ev["clip_state"] == "pending"
    row = session.get(VideoEvent, ev["id"])
    # Never delivered: past the post-roll and the grace period the reviewer reads "missing"; the alarm stands.
    late = row.detected_at + timedelta(seconds=video_settings().post_seconds + video_settings().clip_grace_seconds + 1)
    assert clip_status(row, now) == ClipState.pending and clip_status(row, late) == ClipState.missing
    # Delivered but corrupt (its sha256 does not match the file): missing at once, still one incident.
    bad = {**data, "video_part": "clip", "clip": "e" * 64, "clip_frames": 25}
    http.send(who, {"event_id": "v-lost-c", "ts": now.isoformat(), "data": bad})
    run_worker_once()
    (ev2,) = _events_api(client, login, cid)
    assert ev2["id"] == ev["id"] and ev2["clip_state"] == "missing" and ev2["alarm_id"] == ev["alarm_id"]
    persona("guard_chen").web(client)  # the reviewer's console page says so (after the pushes: cookies)
    page = client.get(f"/console/video/events/{ev['id']}")
    assert page.status_code == 200 and 'data-testid="clip-state-missing"' in page.text
    queue = client.get("/console/video")  # and the review queue marks it
    assert f'data-testid="clip-missing-{ev["id"]}"' in queue.text and "录像缺失" in queue.text
    alarm = session.get(Alarm, ev["alarm_id"])
    assert alarm.status.value == "pending_review"
