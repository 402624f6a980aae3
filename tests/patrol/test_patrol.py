"""Patrols: timestamped check-ins (R-W5), key-point gaps and missed rounds raise one alarm each, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.events import OutboxEvent
from anju.patrol.models import PatrolCheckin, PatrolCheckpoint, PatrolSchedule
from anju.patrol.service import (
    check_gaps,
    check_in,
    check_rounds,
    patrol_completion,
    window_of,
)
from tests.conftest import run_worker_once

API = "/api/v1/patrol"
T0 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # 20:00 China time


def _route(client, login, compound_id, *, user="manager_wang", windows=()):
    body = {
        "compound_id": compound_id,
        "name": "测试巡更路线",
        "windows": [list(w) for w in windows],
        "checkpoints": [
            {"name": "东门"},
            {"name": "配电房", "key_point": True, "max_interval_minutes": 120, "nfc_tag": f"NFC-{compound_id}-{user}"},
            {"name": "车库"},
        ],
    }
    r = client.post(f"{API}/routes", json=body, headers=login(user))
    assert r.status_code == 201, r.text
    points = client.get(f"{API}/routes/{r.json()['id']}/checkpoints", headers=login(user)).json()
    return r.json()["id"], points


def _gap_events(session, checkpoint_id):
    rows = session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
    return [e for e in rows if e.payload["source"] == f"patrol:checkpoint:{checkpoint_id}"]


def _backdate(session, route_id, by=timedelta(days=2)):
    session.execute(
        PatrolCheckpoint.__table__.update().where(PatrolCheckpoint.route_id == route_id).values(created_at=T0 - by)
    )


class TestCheckins:
    def test_r_w5_checkins_are_timestamped_by_qr_and_nfc(self, client, login, ids, session, who):
        _, points = _route(client, login, ids["A"])
        r = client.post(f"{API}/checkins", json={"code": points[0]["code"]}, headers=login("guard_chen"))
        assert r.status_code == 201 and r.json()["method"] == "qr" and r.json()["at"]
        r = client.post(f"{API}/checkins", json={"nfc_tag": points[1]["nfc_tag"]}, headers=login("guard_chen"))
        assert r.status_code == 201 and r.json()["method"] == "nfc" and r.json()["checkpoint_id"] == points[1]["id"]

    def test_scanning_a_checkpoint_of_another_compound_is_404(self, client, login, ids):
        _, points = _route(client, login, ids["B"], user="outsider_zhao")
        r = client.post(f"{API}/checkins", json={"code": points[0]["code"]}, headers=login("guard_chen"))
        assert r.status_code == 404 and r.json()["error"]["code"] == "patrol_checkpoint_not_found"
        assert client.post(f"{API}/checkins", json={"code": "PT-nope"}, headers=login("guard_chen")).status_code == 404
        assert client.post(f"{API}/checkins", json={}, headers=login("guard_chen")).status_code == 422
        assert (
            client.post(f"{API}/checkins", json={"code": points[0]["code"]}, headers=login("resident_li")).status_code
            == 403
        )

    def test_scan_page_refuses_another_compounds_code(self, client, login, ids, web_login):
        _, points = _route(client, login, ids["B"], user="outsider_zhao")
        web_login("guard_chen")
        r = client.post(
            "/h5/patrol/scan",
            data={"code": points[0]["code"]},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "err=" in r.headers["location"]

    def test_each_checkpoint_has_a_printable_qr(self, client, login, ids, web_login):
        _, points = _route(client, login, ids["A"])
        _, other = _route(client, login, ids["B"], user="outsider_zhao")
        web_login("guard_chen")
        r = client.get(f"/console/patrol/checkpoints/{points[0]['id']}/qr.svg")
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml") and "<svg" in r.text
        assert client.get(f"/console/patrol/checkpoints/{other[0]['id']}/qr.svg").status_code == 404

    def test_handover_from_the_patrol_page(self, client, web_login):
        web_login("guard_chen")
        r = client.post(
            "/console/patrol/handover",
            data={"note": "2号岗监控黑屏，已报修"},
            headers={"Origin": "http://testserver"},
            follow_redirects=True,
        )
        assert r.status_code == 200 and "2号岗监控黑屏" in r.text
        web_login("staff_liu")  # may read patrols, may not hand over a guard shift
        r = client.post("/console/patrol/handover", data={"note": "越权交班"}, headers={"Origin": "http://testserver"})
        assert r.status_code == 403

    def test_handover_is_logged(self, client, login, ids):
        r = client.post(
            f"{API}/handovers",
            json={"compound_id": ids["A"], "note": "东门道闸抬杆慢，已报修"},
            headers=login("guard_chen"),
        )
        assert r.status_code == 201
        assert (
            client.post(
                f"{API}/handovers", json={"compound_id": ids["B"], "note": "越权"}, headers=login("guard_chen")
            ).status_code
            == 404
        )


class TestGaps:
    def test_r_w5_a_gap_over_the_maximum_raises_one_alarm(self, client, login, ids, session, who):
        route_id, points = _route(client, login, ids["A"])
        _backdate(session, route_id)
        key = next(p for p in points if p["key_point"])
        guard = who("guard_chen")
        check_in(session, by=guard, code=key["code"], now=T0)
        assert key["id"] not in check_gaps(session, now=T0 + timedelta(minutes=120))
        assert key["id"] in check_gaps(session, now=T0 + timedelta(minutes=121))
        assert key["id"] not in check_gaps(session, now=T0 + timedelta(minutes=200))  # the same gap: once
        assert len(_gap_events(session, key["id"])) == 1
        check_in(session, by=guard, code=key["code"], now=T0 + timedelta(minutes=210))
        assert key["id"] in check_gaps(session, now=T0 + timedelta(minutes=331))  # a new gap: a new alarm
        assert len(_gap_events(session, key["id"])) == 2
        session.flush()
        run_worker_once()
        alarms = session.execute(select(Alarm).where(Alarm.source == f"patrol:checkpoint:{key['id']}")).scalars().all()
        assert len(alarms) == 2 and all(a.kind == "patrol_missed" for a in alarms)

    def test_r_w5_non_key_points_have_no_gap_rule(self, client, login, ids, session):
        route_id, points = _route(client, login, ids["A"])
        _backdate(session, route_id)
        plain = [p["id"] for p in points if not p["key_point"]]
        assert not set(plain) & set(check_gaps(session, now=T0 + timedelta(days=3)))


class TestRounds:
    def test_missed_round_raises_an_alarm_once_and_completion_counts(self, client, login, ids, session, who):
        route_id, points = _route(client, login, ids["A"], windows=[(20 * 60, 60)])  # 20:00–21:00 China time
        _backdate(session, route_id, timedelta(hours=1))  # yesterday's round predates the route: not judged
        schedule = session.execute(select(PatrolSchedule).where(PatrolSchedule.route_id == route_id)).scalar_one()
        day = date(2026, 11, 18)
        start, end = window_of(schedule, day)
        assert start == T0
        guard = who("guard_chen")
        check_in(session, by=guard, code=points[0]["code"], now=start + timedelta(minutes=5))
        assert [d for d in check_rounds(session, now=end - timedelta(minutes=1)) if d[0] == schedule.id] == []
        decided = [d for d in check_rounds(session, now=end + timedelta(minutes=1)) if d[0] == schedule.id]
        assert decided == [(schedule.id, day, "missed")]
        assert [d for d in check_rounds(session, now=end + timedelta(minutes=2)) if d[0] == schedule.id] == []
        events = [
            e
            for e in session.execute(select(OutboxEvent).where(OutboxEvent.topic == "alarms.AlarmRequested")).scalars()
            if e.payload["source"] == f"patrol:route:{route_id}"
        ]
        assert len(events) == 1 and events[0].payload["evidence"]["checked"] == 1
        # next day: every point inside the window → done
        for p in points:
            check_in(session, by=guard, code=p["code"], now=start + timedelta(days=1, minutes=10))
        decided = [d for d in check_rounds(session, now=end + timedelta(days=1, minutes=1)) if d[0] == schedule.id]
        assert decided == [(schedule.id, day + timedelta(days=1), "done")]
        assert patrol_completion(session, compound_id=ids["A"], since=None) is not None
        assert session.execute(select(PatrolCheckin).where(PatrolCheckin.route_id == route_id)).first()

    def test_patrol_page_flags_overdue_key_points(self, client, login, ids, session, web_login):
        route_id, _ = _route(client, login, ids["A"])
        _backdate(session, route_id)
        web_login("guard_chen")
        r = client.get("/console/patrol")
        assert r.status_code == 200 and "wo-row-breached" in r.text and "测试巡更路线" in r.text
