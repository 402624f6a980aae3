"""Emergency: plans with roles, activation → role tasks by tier + emergency broadcast, exercises send nothing
to residents, one activation per alarm, supplies never below zero, quarterly drill and expiry reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from anju.emergency.models import EmergencyReminder
from anju.emergency.service import emergency_service
from anju.notices.models import Notice
from anju.notify.models import Notification

API = "/api/v1/emergency"


def plan_body(compound_id: int) -> dict:
    return {
        "compound_id": compound_id,
        "kind": "fire",
        "title": "火灾应急预案",
        "level": 3,
        "roles": [
            {"role": "指挥部", "tier": "community", "tasks": ["启动预案", "通知街道"], "due_minutes": 5},
            {"role": "疏散引导组", "tier": "property", "tasks": ["打开疏散通道", "清点人数"], "due_minutes": 10},
            {"role": "楼长志愿者", "tier": "resident", "tasks": ["协助老人撤离"]},
        ],
        "resources": ["灭火器", "应急照明"],
        "call_sheet": [{"name": "火警", "phone": "119"}, {"name": "急救", "phone": "120"}],
    }


def _plan(client, login, ids):
    r = client.post(f"{API}/plans", json=plan_body(ids["A"]), headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    return r.json()


def _building(session, compound_id):
    from anju.registry.models import Building

    return (
        session.execute(select(Building).where(Building.compound_id == compound_id).order_by(Building.id))
        .scalars()
        .first()
    )


class TestPlans:
    def test_a_plan_with_no_roles_is_refused(self, client, login, ids):
        body = plan_body(ids["A"]) | {"roles": []}
        assert client.post(f"{API}/plans", json=body, headers=login("manager_wang")).status_code == 422
        body = plan_body(ids["A"]) | {"level": 9}
        assert client.post(f"{API}/plans", json=body, headers=login("manager_wang")).status_code == 422

    def test_a_new_plan_of_the_same_kind_is_a_new_version(self, client, login, ids):
        a = _plan(client, login, ids)
        b = _plan(client, login, ids)
        assert b["version"] == a["version"] + 1
        plans = client.get(f"{API}/plans", params={"compound_id": ids["A"]}, headers=login("staff_liu")).json()
        assert [p["id"] for p in plans if p["kind"] == "fire"] == [b["id"]]


class TestActivation:
    def test_activation_makes_role_tasks_and_an_emergency_broadcast(self, client, login, session, ids):
        plan = _plan(client, login, ids)
        b = _building(session, ids["A"])
        r = client.post(f"{API}/plans/{plan['id']}/activate", json={"building_id": b.id}, headers=login("manager_wang"))
        assert r.status_code == 201, r.text
        inc = r.json()
        assert {(t["tier"], t["role"], t["title"]) for t in inc["tasks"]} >= {
            ("community", "指挥部", "启动预案"),
            ("property", "疏散引导组", "清点人数"),
            ("resident", "楼长志愿者", "协助老人撤离"),
        }
        assert len(inc["tasks"]) == 5
        notice = session.get(Notice, inc["notice_id"])
        assert notice.kind == "emergency" and notice.target_kind == "building" and notice.target_id == b.id
        assert notice.recipients > 0
        staff = session.execute(select(Notification).where(Notification.category == "emergency_task")).scalars().all()
        assert staff  # the tiers' staff have the tasks in their inbox
        task = inc["tasks"][0]
        h = login("staff_liu")
        assert client.post(f"{API}/tasks/{task['id']}/done", headers=h).status_code == 200
        assert client.post(f"{API}/tasks/{task['id']}/done", headers=h).status_code == 409
        r = client.post(
            f"{API}/incidents/{inc['id']}/close", json={"review": "5 分钟内完成疏散"}, headers=login("manager_wang")
        )
        assert r.status_code == 200 and r.json()["status"] == "closed"

    def test_an_exercise_sends_nothing_to_residents(self, client, login, session, ids):
        plan = _plan(client, login, ids)
        before = session.execute(select(Notice.id)).all()
        r = client.post(f"{API}/plans/{plan['id']}/activate", json={"exercise": True}, headers=login("manager_wang"))
        assert r.status_code == 201
        assert r.json()["exercise"] and r.json()["notice_id"] is None and r.json()["title"].startswith("【演练】")
        assert session.execute(select(Notice.id)).all() == before

    def test_a_plan_is_activated_once_per_alarm(self, client, login, session, ids):
        from anju.alarms.events import AlarmRequested
        from anju.alarms.service import alarm_service

        res = alarm_service.raise_or_refresh(
            session,
            request=AlarmRequested(
                compound_id=ids["A"],
                kind="smoke",
                severity="critical",
                source="test",
                dedupe_key="em:1",
                title="烟感报警",
            ),
        )
        plan = _plan(client, login, ids)
        h = login("manager_wang")
        r = client.post(f"{API}/plans/{plan['id']}/activate", json={"alarm_id": res.alarm_id}, headers=h)
        assert r.status_code == 201
        before = session.execute(select(Notice.id)).all()
        r = client.post(f"{API}/plans/{plan['id']}/activate", json={"alarm_id": res.alarm_id}, headers=h)
        assert r.status_code == 409 and r.json()["error"]["code"] == "emergency_already_activated"
        assert session.execute(select(Notice.id)).all() == before  # nothing half-written

    def test_the_fire_plan_is_proposed_for_a_smoke_alarm(self, client, login, session, who, ids):
        plan = _plan(client, login, ids)
        got = emergency_service.suggest(session, by=who("manager_wang"), compound_id=ids["A"], alarm_kind="smoke")
        assert got is not None and got.id == plan["id"]
        assert emergency_service.suggest(session, by=who("manager_wang"), compound_id=ids["A"], alarm_kind="x") is None

    def test_other_compounds_are_404(self, client, login, ids):
        plan = _plan(client, login, ids)
        r = client.post(f"{API}/plans/{plan['id']}/activate", json={}, headers=login("outsider_zhao"))
        assert r.status_code in (403, 404)
        r = client.get(f"{API}/plans", params={"compound_id": ids["A"]}, headers=login("outsider_zhao"))
        assert r.status_code == 404


class TestSupplies:
    def test_draw_never_below_zero(self, client, login, ids):
        h = login("manager_wang")
        body = {"compound_id": ids["A"], "store": "1号楼应急库", "name": "灭火器", "quantity": 3, "min_quantity": 2}
        s = client.post(f"{API}/supplies", json=body, headers=h).json()
        assert client.post(f"{API}/supplies/{s['id']}/draw", json={"quantity": 2}, headers=h).json()["quantity"] == 1
        r = client.post(f"{API}/supplies/{s['id']}/draw", json={"quantity": 2}, headers=h)
        assert r.status_code == 409
        listed = client.get(f"{API}/supplies", params={"compound_id": ids["A"]}, headers=h).json()
        assert [x["state"] for x in listed if x["id"] == s["id"]] == ["short"]
        assert client.post(f"{API}/supplies", json=body | {"quantity": -1}, headers=h).status_code == 422
        assert client.patch(f"{API}/supplies/{s['id']}", json={"quantity": -5}, headers=h).status_code == 422

    def test_expiring_supplies_and_a_quarter_without_drill_are_reminded_once(self, client, login, session, ids):
        h = login("manager_wang")
        _plan(client, login, ids)
        body = {
            "compound_id": ids["A"],
            "store": "2号楼应急库",
            "name": "应急食品",
            "quantity": 50,
            "expires_on": str(date(2026, 12, 20)),
        }
        client.post(f"{API}/supplies", json=body, headers=h)
        now = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # the last month of Q4
        assert emergency_service.remind(session, now=now) >= 2
        assert emergency_service.remind(session, now=now + timedelta(hours=6)) == 0
        keys = {r.key for r in session.execute(select(EmergencyReminder)).scalars()}
        assert any(k.startswith("drill:") and k.endswith(":2026Q4") for k in keys)
        assert any(k.startswith("supply:") and ":expiring:" in k for k in keys)

    def test_a_drill_this_quarter_silences_the_reminder(self, client, login, session, ids):
        plan = _plan(client, login, ids)
        r = client.post(
            f"{API}/plans/{plan['id']}/drills",
            json={"held_at": "2026-11-15T09:00:00+08:00", "participants": 120, "evacuation_seconds": 410},
            headers=login("staff_liu"),
        )
        assert r.status_code == 201
        emergency_service.remind(session, now=datetime(2026, 12, 10, 2, 0, tzinfo=UTC))
        keys = {r.key for r in session.execute(select(EmergencyReminder)).scalars()}
        assert f"drill:{plan['id']}:2026Q4" not in keys


class TestProposal:
    def test_a_smoke_alarm_proposes_the_fire_plan_and_the_manager_activates_it(
        self, client, login, session, ids, web_login
    ):
        from anju.alarms.events import AlarmRequested
        from anju.alarms.service import alarm_service
        from anju.emergency.models import EmergencyIncident
        from tests.conftest import run_worker_once

        plan = _plan(client, login, ids)
        b = _building(session, ids["A"])
        res = alarm_service.raise_or_refresh(
            session,
            request=AlarmRequested(
                compound_id=ids["A"],
                kind="smoke",
                severity="critical",
                source="test:smoke",
                dedupe_key="em:proposal",
                title="烟感报警",
                building_id=b.id,
            ),
        )
        run_worker_once()
        notes = (
            session.execute(
                select(Notification).where(
                    Notification.category == "emergency_proposal", Notification.alarm_id == res.alarm_id
                )
            )
            .scalars()
            .all()
        )
        assert notes and f"plan_id={plan['id']}" in notes[0].body
        web_login("manager_wang")
        page = client.get(f"/console/emergency?alarm_id={res.alarm_id}&plan_id={plan['id']}")
        assert 'data-testid="em-proposal"' in page.text and "烟感报警" in page.text
        r = client.post(
            f"/console/emergency/plans/{plan['id']}/activate",
            data={"alarm_id": str(res.alarm_id), "building_id": str(b.id)},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert r.status_code == 303 and "/console/emergency/incidents/" in r.headers["location"]
        inc = session.execute(select(EmergencyIncident).where(EmergencyIncident.alarm_id == res.alarm_id)).scalar_one()
        assert inc.notice_id is not None and not inc.exercise and inc.building_id == b.id
