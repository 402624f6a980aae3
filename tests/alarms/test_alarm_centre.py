"""Alarm centre: dedupe window, state machine with CAS (R6), immutability (R-A8), human review (R-A4), feed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from anju.alarms.enums import AlarmAction, AlarmStatus
from anju.alarms.events import AlarmRequested
from anju.alarms.exceptions import AlarmStateConflict
from anju.alarms.models import Alarm, AlarmTransition
from anju.alarms.repository import AlarmRepository
from anju.alarms.service import alarm_service
from anju.core.db import utcnow


def request(ids, **kw) -> AlarmRequested:
    key = kw.pop("dedupe_key", None) or f"test:{uuid.uuid4().hex}"
    base = {
        "compound_id": ids["A"],
        "kind": "water_leak",
        "severity": "major",
        "source": "test:1",
        "dedupe_key": key,
        "title": "泵房漏水",
        "floor": 1,
    }
    return AlarmRequested(**{**base, **kw})


def raise_(session, ids, **kw) -> int:
    return alarm_service.raise_or_refresh(session, request=request(ids, **kw)).alarm_id


class TestDedupe:
    def test_repeat_inside_window_raises_counter(self, session, ids):
        t0 = utcnow()
        r = request(ids)
        a = alarm_service.raise_or_refresh(session, request=r, now=t0)
        b = alarm_service.raise_or_refresh(session, request=r, now=t0 + timedelta(minutes=5))
        assert a.created and not b.created and a.alarm_id == b.alarm_id
        alarm = session.get(Alarm, a.alarm_id)
        session.refresh(alarm)
        assert alarm.occurrences == 2 and alarm.last_seen_at == t0 + timedelta(minutes=5)

    def test_recurrence_after_the_window_while_open_raises_the_counter(self, session, ids):
        """Issue 17: a smoke sensor that fires again an hour later, with its alarm still unacknowledged,
        counts on that alarm instead of opening a second one beside it."""
        t0 = utcnow()
        r = request(ids)
        a = alarm_service.raise_or_refresh(session, request=r, now=t0)
        b = alarm_service.raise_or_refresh(session, request=r, now=t0 + timedelta(hours=1))
        assert not b.created and b.alarm_id == a.alarm_id
        alarm = session.get(Alarm, a.alarm_id)
        session.refresh(alarm)
        assert alarm.occurrences == 2 and alarm.status == AlarmStatus.new
        n_open = session.execute(
            select(Alarm.id).where(Alarm.dedupe_key == r.dedupe_key, Alarm.closed_at.is_(None))
        ).all()
        assert len(n_open) == 1

    def test_repeat_after_resolution_is_a_new_alarm_that_refers_to_the_old(self, client, login, session, ids):
        r = request(ids)
        a = alarm_service.raise_or_refresh(session, request=r).alarm_id
        body = {"reason": "阀门已关", "outcome": "repaired"}
        assert client.post(f"/api/v1/alarms/{a}/resolve", json=body, headers=login("guard_chen")).status_code == 200
        b = alarm_service.raise_or_refresh(session, request=r).alarm_id
        assert b != a
        new = session.get(Alarm, b)
        assert new.previous_alarm_id == a

    def test_resolve_without_a_note_is_refused(self, client, login, session, ids):
        a = raise_(session, ids)
        g = login("guard_chen")
        r = client.post(f"/api/v1/alarms/{a}/resolve", headers=g)
        assert r.status_code == 422
        r = client.post(f"/api/v1/alarms/{a}/resolve", json={"reason": "   "}, headers=g)
        assert r.status_code == 422
        assert session.get(Alarm, a).status == AlarmStatus.new
        r = client.post(f"/api/v1/alarms/{a}/resolve", json={"reason": "已关阀", "outcome": "repaired"}, headers=g)
        assert r.status_code == 200 and r.json()["outcome"] == "repaired"

    def test_alarm_requested_event_from_another_domain(self, session, ids):
        from anju.core import events
        from tests.conftest import run_worker_once

        key = f"access:door:{uuid.uuid4().hex}"
        events.publish(session, request(ids, kind="door_forced", dedupe_key=key), compound_id=ids["A"])
        session.flush()
        run_worker_once()
        assert session.execute(select(Alarm).where(Alarm.dedupe_key == key)).scalar_one().status == "new"


class TestStateMachine:
    def test_full_path_records_actor_and_reason(self, client, login, session, ids):
        a = raise_(session, ids)
        g = login("guard_chen")
        r = client.post(f"/api/v1/alarms/{a}/acknowledge", json={"reason": "我去看"}, headers=g)
        assert r.status_code == 200 and r.json()["status"] == "acknowledged"
        staff = session.execute(text("SELECT id FROM app_user WHERE username='staff_liu'")).scalar_one()
        r = client.post(f"/api/v1/alarms/{a}/dispatch", json={"user_id": staff}, headers=g)
        assert r.json()["dispatched_to"] == staff
        r = client.post(f"/api/v1/alarms/{a}/resolve", json={"reason": "阀门已关"}, headers=login("staff_liu"))
        hist = [(h["action"], h["from_status"], h["to_status"], h["reason"]) for h in r.json()["history"]]
        assert hist[0][0] == "created"
        assert hist[1:] == [
            ("acknowledged", "new", "acknowledged", "我去看"),
            ("dispatched", "acknowledged", "dispatched", None),
            ("resolved", "dispatched", "resolved", "阀门已关"),
        ]
        assert all(h["actor_user_id"] for h in r.json()["history"][1:])

    def test_second_acknowledge_is_409(self, client, login, session, ids):
        a = raise_(session, ids)
        assert client.post(f"/api/v1/alarms/{a}/acknowledge", headers=login("guard_chen")).status_code == 200
        r = client.post(f"/api/v1/alarms/{a}/acknowledge", headers=login("manager_wang"))
        assert r.status_code == 409 and r.json()["error"]["code"] == "alarm_state_conflict"

    def test_r6_compare_and_swap_loses_to_a_concurrent_move(self, session, ids):
        a = raise_(session, ids)
        repo = AlarmRepository(session)
        # A rival's CAS moved it first; ours, still expecting "new", must not win.
        assert repo.cas_status(a, expected=AlarmStatus.new, values={"status": AlarmStatus.acknowledged})
        assert not repo.cas_status(a, expected=AlarmStatus.new, values={"status": AlarmStatus.acknowledged})

    def test_false_alarm_needs_a_reason(self, client, login, session, ids):
        a = raise_(session, ids)
        assert client.post(f"/api/v1/alarms/{a}/false-alarm", json={}, headers=login("guard_chen")).status_code == 422
        r = client.post(f"/api/v1/alarms/{a}/false-alarm", json={"reason": "测试按钮"}, headers=login("guard_chen"))
        assert r.json()["status"] == "false_alarm" and r.json()["closed_at"]

    def test_dispatch_to_resident_is_rejected(self, client, login, session, ids):
        a = raise_(session, ids)
        li = session.execute(text("SELECT id FROM app_user WHERE username='resident_li'")).scalar_one()
        r = client.post(f"/api/v1/alarms/{a}/dispatch", json={"user_id": li}, headers=login("guard_chen"))
        assert r.status_code == 422

    def test_scoping_and_roles(self, client, login, session, ids):
        a = raise_(session, ids)
        assert client.get(f"/api/v1/alarms/{a}", headers=login("outsider_zhao")).status_code == 404
        assert client.post(f"/api/v1/alarms/{a}/acknowledge", headers=login("outsider_zhao")).status_code == 404
        assert client.get("/api/v1/alarms", headers=login("resident_li")).status_code == 403
        assert client.post(f"/api/v1/alarms/{a}/acknowledge", headers=login("grid_zhou")).status_code == 403
        assert client.get(f"/api/v1/alarms/{a}", headers=login("grid_zhou")).status_code == 200
        assert client.get("/api/v1/alarms", headers=login("gov_street")).status_code == 403
        assert client.get("/api/v1/alarms/stats", headers=login("gov_street")).status_code == 200

    def test_list_filters(self, client, login, session, ids):
        a = raise_(session, ids, kind="pump_fault")
        r = client.get(
            "/api/v1/alarms",
            params={"kind": "pump_fault", "open_only": True, "status": ["new"]},
            headers=login("guard_chen"),
        )
        assert a in [x["id"] for x in r.json()["items"]]


class TestImmutability:
    def test_r_a8_no_update_or_delete_api(self, client, login, session, ids):
        a = raise_(session, ids)
        h = login("manager_wang")
        for method in ("put", "patch", "delete"):
            assert getattr(client, method)(f"/api/v1/alarms/{a}", headers=h).status_code == 405
        paths = client.get("/openapi.json").json()["paths"]
        for path, ops in paths.items():
            if path.startswith("/api/v1/alarms"):
                assert not {"put", "patch", "delete"} & set(ops), path

    def test_r_a8_database_refuses_editing_history_and_deleting_alarms(self, session, ids):
        a = raise_(session, ids)
        session.flush()
        for stmt in (
            update(AlarmTransition).where(AlarmTransition.alarm_id == a).values(reason="edited"),
            delete(AlarmTransition).where(AlarmTransition.alarm_id == a),
            delete(Alarm).where(Alarm.id == a),
        ):
            with pytest.raises(DBAPIError), session.begin_nested():
                session.execute(stmt)


class TestHumanReview:
    def test_r_a4_person_alarm_waits_for_review(self, client, login, session, ids):
        a = raise_(session, ids, kind="blacklist_hit", person_id=ids["li_person"], dedupe_key=f"bl:{uuid.uuid4()}")
        alarm = session.get(Alarm, a)
        assert alarm.status == AlarmStatus.pending_review
        g = login("guard_chen")
        r = client.post(f"/api/v1/alarms/{a}/acknowledge", headers=g)
        assert r.status_code == 409 and r.json()["error"]["code"] == "alarm_review_required"
        assert client.post(f"/api/v1/alarms/{a}/dispatch", json={"user_id": 1}, headers=g).status_code == 409
        r = client.post(f"/api/v1/alarms/{a}/review", json={"reason": "比对录像确认本人"}, headers=g)
        assert r.status_code == 200 and r.json()["status"] == "new"
        assert [e["step"] for e in r.json()["escalations"]] == [0, 1, 2]  # escalation only starts now
        assert client.post(f"/api/v1/alarms/{a}/acknowledge", headers=g).status_code == 200

    def test_r_a4_no_escalation_or_linkage_before_review(self, session, ids):
        from anju.core.events import OutboxEvent

        a = raise_(session, ids, kind="blacklist_hit", severity="critical", person_id=ids["li_person"])
        assert AlarmRepository(session).escalations(a) == []
        raised = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRaised")).scalars()
        assert all(e.payload["alarm_id"] != a or e.payload["status"] == "pending_review" for e in raised)

    def test_r_a4_review_can_reject(self, client, login, session, ids):
        a = raise_(session, ids, kind="blacklist_hit", person_id=ids["li_person"])
        r = client.post(f"/api/v1/alarms/{a}/false-alarm", json={"reason": "非本人"}, headers=login("guard_chen"))
        assert r.json()["status"] == "false_alarm"

    def test_human_raised_alarm_about_person_needs_no_review(self, session, ids):
        res = alarm_service.raise_or_refresh(
            session, request=request(ids, person_id=ids["li_person"]), raised_by="user"
        )
        assert session.get(Alarm, res.alarm_id).status == AlarmStatus.new


class TestFeed:
    def test_stream_sends_changes_as_server_sent_events(self, client, login, session, ids):
        g = login("guard_chen")
        start = client.get("/api/v1/alarms", headers=g)  # warm the token
        assert start.status_code == 200
        after = AlarmRepository(session).last_transition_id()
        a = raise_(session, ids, title="SSE 测试")
        session.flush()
        with client.stream("GET", "/api/v1/alarms/stream", params={"after": after, "max_seconds": 0.3}, headers=g) as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            body = "".join(r.iter_text())
        assert "event: alarm" in body and "SSE 测试" in body and f'"id": {a}' in body

    def test_stream_opened_fresh_does_not_replay_alarms_raised_before_it(self, client, login, session, ids):
        # Its look-back window (for late commits) once replayed the last 50 changes: every operator
        # opening the control room saw old critical alarms pop up as new.
        g = login("guard_chen")
        assert client.get("/api/v1/alarms", headers=g).status_code == 200
        raise_(session, ids, title="开台之前的旧告警")
        session.flush()
        with client.stream("GET", "/api/v1/alarms/stream", params={"max_seconds": 0.6}, headers=g) as r:
            body = "".join(r.iter_text())
        assert body.startswith("retry:") and "开台之前的旧告警" not in body

    def test_service_refuses_to_close_without_a_note(self, session, ids, persona):
        from anju.alarms.exceptions import NoteRequired

        a = raise_(session, ids)
        who = persona("guard_chen").who
        for action in (AlarmAction.resolved, AlarmAction.false_alarm):
            with pytest.raises(NoteRequired):
                alarm_service.transition(session, by=who, alarm_id=a, action=action, reason=" ")
        assert session.get(Alarm, a).closed_at is None

    def test_transition_rejects_unknown_state(self, session, ids, persona):
        a = raise_(session, ids)
        who = persona("guard_chen").who  # a guard of compound A
        alarm_service.transition(session, by=who, alarm_id=a, action=AlarmAction.resolved, reason="已处置")
        with pytest.raises(AlarmStateConflict):
            alarm_service.transition(session, by=who, alarm_id=a, action=AlarmAction.acknowledged)
