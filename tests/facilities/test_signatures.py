"""R-S4: inspection records carry the inspector's and the supervisor's signatures as separate records."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from anju.facilities.models import InspectionSignature, MaintenancePlan
from anju.facilities.service import inspect, is_complete, register, sign_off

D = date(2026, 11, 2)
API = "/api/v1/facilities"
OK = [{"item": "控制器运行正常", "ok": True}, {"item": "备用电源正常", "ok": True}]


def _fire_check(session, ids):
    panel = register(session, by=None, compound_id=ids["A"], kind="fire_panel", name="火灾报警控制器", today=D)
    return session.execute(
        select(MaintenancePlan).where(MaintenancePlan.equipment_id == panel.id, MaintenancePlan.kind == "fire_check")
    ).scalar_one()


def test_r_s4_a_fire_check_without_the_supervisor_is_not_complete(session, ids, who):
    plan = _fire_check(session, ids)
    due = plan.due_on
    row = inspect(session, by=who("staff_liu"), plan_id=plan.id, items=OK, supervisor_name=None, today=due)
    sigs = (
        session.execute(select(InspectionSignature).where(InspectionSignature.inspection_id == row.id)).scalars().all()
    )
    assert [(s.role, s.name) for s in sigs] == [("inspector", "刘师傅")] and sigs[0].signed_at
    assert not is_complete(session, row)
    session.refresh(plan)
    assert plan.due_on == due and plan.last_done_on is None  # still due: not complete
    sign_off(session, by=who("manager_wang"), inspection_id=row.id, note="已复核", today=due)
    assert is_complete(session, row)
    session.refresh(plan)
    assert plan.last_done_on == due and plan.due_on == due + timedelta(days=plan.interval_days)
    roles = {
        s.role: s
        for s in session.execute(
            select(InspectionSignature).where(InspectionSignature.inspection_id == row.id)
        ).scalars()
    }
    assert roles["supervisor"].name == "王经理" and roles["supervisor"].user_id != roles["inspector"].user_id


def test_r_s4_sign_off_api_refuses_the_inspector_staff_and_a_second_signature(client, login, ids, session):
    plan = _fire_check(session, ids)
    r = client.post(f"{API}/plans/{plan.id}/inspections", json={"items": OK}, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["complete"] is False and [s["role"] for s in body["signatures"]] == ["inspector"]
    iid = body["id"]
    r = client.post(f"{API}/inspections/{iid}/sign-off", json={}, headers=login("manager_wang"))
    assert r.status_code == 409 and "检查人不能同时" in r.text  # the inspector cannot countersign
    r = client.post(f"{API}/inspections/{iid}/sign-off", json={}, headers=login("staff_liu"))
    assert r.status_code == 403  # staff are not the manager in charge of fire safety
    r = client.post(f"{API}/inspections/{iid}/sign-off", json={}, headers=login("outsider_zhao"))
    assert r.status_code == 404  # another compound's record


def test_r_s4_second_sign_off_is_409(client, login, ids, session):
    plan = _fire_check(session, ids)
    r = client.post(f"{API}/plans/{plan.id}/inspections", json={"items": OK}, headers=login("staff_liu"))
    iid = r.json()["id"]
    r = client.post(f"{API}/inspections/{iid}/sign-off", json={"note": "复核"}, headers=login("manager_wang"))
    assert r.status_code == 200 and r.json()["complete"] is True
    assert [s["role"] for s in r.json()["signatures"]] == ["inspector", "supervisor"]
    r = client.post(f"{API}/inspections/{iid}/sign-off", json={}, headers=login("manager_wang"))
    assert r.status_code == 409 and "已签核" in r.text
    assert client.get(f"{API}/inspections/{iid}", headers=login("staff_liu")).json()["complete"] is True


def test_an_extinguisher_check_is_complete_with_the_inspector_alone(session, ids, who):
    ext = register(
        session,
        by=None,
        compound_id=ids["A"],
        kind="extinguisher",
        name="MF/ABC4 #1",
        extinguisher_type="powder",
        manufactured_on=date(2023, 1, 1),
        today=D,
    )
    plan = session.execute(
        select(MaintenancePlan).where(
            MaintenancePlan.equipment_id == ext.id, MaintenancePlan.kind == "extinguisher_check"
        )
    ).scalar_one()
    row = inspect(session, by=who("staff_liu"), plan_id=plan.id, items=OK, supervisor_name=None, today=D)
    assert is_complete(session, row)
