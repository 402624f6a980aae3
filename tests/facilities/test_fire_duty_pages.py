"""The roster page (R-S7) and the sign-off list on the facilities page (R-S4)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from anju.core.db import utcnow
from anju.facilities.fire_duty import check_compound
from anju.facilities.models import FireDutyShift, MaintenancePlan
from anju.facilities.service import inspect, register
from anju.workorders.sla import CST

ORIGIN = {"Origin": "http://testserver"}  # the console's CSRF check wants our own origin


def test_r_s7_roster_page_shows_the_demo_short_handed_night_as_a_gap(client, web_login, session, ids):
    check_compound(session, compound_id=ids["A"], now=utcnow())  # what the watch job does every 15 min
    web_login("staff_liu")
    r = client.get("/console/facilities/fire-duty")
    assert r.status_code == 200 and 'data-testid="fire-duty-shifts"' in r.text
    assert "周建国" in r.text and "人数不足" in r.text  # the demo night with one operator
    assert 'data-testid="fire-duty-form"' in r.text
    r = client.get("/console/facilities")
    assert 'data-testid="fire-duty-gap-count"' in r.text


def test_r_s7_setting_a_day_from_the_page(client, web_login, session, ids):
    web_login("manager_wang")
    day = (utcnow().astimezone(CST).date() + timedelta(days=3)).isoformat()
    r = client.post(
        headers=ORIGIN,
        url="/console/facilities/fire-duty",
        data={"day": day, "staff0": "甲，乙", "staff1": "丙、丁", "staff2": "戊"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    shifts = (
        session.execute(
            select(FireDutyShift).where(FireDutyShift.compound_id == ids["A"]).order_by(FireDutyShift.starts_at)
        )
        .scalars()
        .all()
    )
    mine = [s.staff for s in shifts if s.starts_at.astimezone(CST).date().isoformat() == day]
    assert mine == [["甲", "乙"], ["丙", "丁"], ["戊"]]
    r = client.post(
        headers=ORIGIN, url="/console/facilities/fire-duty", data={"day": "not-a-day"}, follow_redirects=False
    )
    assert "err=" in r.headers["location"]
    web_login("grid_zhou")
    assert client.post(headers=ORIGIN, url="/console/facilities/fire-duty", data={"day": day}).status_code == 403


def test_r_s4_unsigned_fire_checks_are_listed_and_signed_from_the_page(client, web_login, session, ids, who):
    panel = register(
        session, by=None, compound_id=ids["A"], kind="fire_panel", name="页面测试控制器", today=date(2026, 11, 2)
    )
    plan = session.execute(
        select(MaintenancePlan).where(MaintenancePlan.equipment_id == panel.id, MaintenancePlan.kind == "fire_check")
    ).scalar_one()
    row = inspect(
        session, by=who("staff_liu"), plan_id=plan.id, supervisor_name=None, items=[{"item": "主电源正常", "ok": True}]
    )
    web_login("staff_liu")
    r = client.get("/console/facilities")
    assert (
        f'data-inspection="{row.id}"' in r.text
        and "sign-off" not in r.text.split(f'data-inspection="{row.id}"')[1][:400]
    )
    web_login("manager_wang")
    r = client.get("/console/facilities")
    assert f"/console/facilities/inspections/{row.id}/sign-off" in r.text
    r = client.post(
        headers=ORIGIN,
        url=f"/console/facilities/inspections/{row.id}/sign-off",
        data={"note": "同意"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    assert f'data-inspection="{row.id}"' not in client.get("/console/facilities").text
