"""Console forms: a patrol route from the patrol page (R-W5 key points), equipment from the facilities page."""

from __future__ import annotations

from sqlalchemy import select

from anju.facilities.models import Equipment, MaintenancePlan
from anju.patrol.models import PatrolCheckpoint, PatrolRoute, PatrolSchedule

ORIGIN = {"Origin": "http://testserver"}


def test_r_w5_route_form_creates_key_points_with_their_maximum_gap(client, web_login, session, ids):
    web_login("manager_wang")
    assert 'data-testid="route-form"' in client.get("/console/patrol").text
    r = client.post(
        "/console/patrol/routes",
        headers=ORIGIN,
        follow_redirects=False,
        data={
            "name": "表单路线",
            "points": "东门岗\n*水泵房\n\n地库",
            "max_interval": "90",
            "window_start": "21:30",
            "window_minutes": "45",
        },
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    route = session.execute(select(PatrolRoute).where(PatrolRoute.name == "表单路线")).scalar_one()
    points = (
        session.execute(
            select(PatrolCheckpoint).where(PatrolCheckpoint.route_id == route.id).order_by(PatrolCheckpoint.seq)
        )
        .scalars()
        .all()
    )
    assert [(p.name, p.key_point, p.max_interval_minutes) for p in points] == [
        ("东门岗", False, None),
        ("水泵房", True, 90),
        ("地库", False, None),
    ]
    schedule = session.execute(select(PatrolSchedule).where(PatrolSchedule.route_id == route.id)).scalar_one()
    assert (schedule.start_minute, schedule.window_minutes) == (21 * 60 + 30, 45)


def test_route_form_refuses_bad_input_and_guards(client, web_login):
    web_login("manager_wang")
    for bad in (
        {"name": "", "points": "A"},
        {"name": "x", "points": ""},
        {"name": "x", "points": "*A", "max_interval": "1"},
        {"name": "x", "points": "A", "window_start": "25"},
    ):
        r = client.post("/console/patrol/routes", headers=ORIGIN, follow_redirects=False, data=bad)
        assert r.status_code == 303 and "err=" in r.headers["location"], bad
    web_login("guard_chen")
    assert 'data-testid="route-form"' not in client.get("/console/patrol").text
    assert client.post("/console/patrol/routes", headers=ORIGIN, data={"name": "x", "points": "A"}).status_code == 403


def test_r_s6_equipment_form_registers_an_extinguisher_with_its_plans(client, web_login, session, ids):
    web_login("staff_liu")
    r = client.post(
        "/console/facilities/equipment",
        headers=ORIGIN,
        follow_redirects=False,
        data={
            "kind": "extinguisher",
            "name": "表单灭火器",
            "location": "2号楼地下室",
            "extinguisher_type": "co2",
            "manufactured_on": "2024-03-01",
            "crowded": "1",
        },
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    eq = session.execute(select(Equipment).where(Equipment.name == "表单灭火器")).scalar_one()
    assert eq.compound_id == ids["A"] and eq.crowded_location
    kinds = set(session.execute(select(MaintenancePlan.kind).where(MaintenancePlan.equipment_id == eq.id)).scalars())
    assert kinds == {"extinguisher_check", "extinguisher_service", "extinguisher_scrap"}
    r = client.post(
        "/console/facilities/equipment",
        headers=ORIGIN,
        follow_redirects=False,
        data={"kind": "extinguisher", "name": "无日期"},
    )
    assert "err=" in r.headers["location"]
    r = client.post(
        "/console/facilities/equipment", headers=ORIGIN, follow_redirects=False, data={"kind": "rocket", "name": "x"}
    )
    assert "err=" in r.headers["location"]


def test_a_reused_nfc_tag_is_409_not_a_crash(client, login, ids):
    body = {"compound_id": ids["A"], "name": "NFC 路线", "checkpoints": [{"name": "甲", "nfc_tag": "04:NFC:DUP"}]}
    assert client.post("/api/v1/patrol/routes", json=body, headers=login("manager_wang")).status_code == 201
    r = client.post("/api/v1/patrol/routes", json=body, headers=login("manager_wang"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "patrol_nfc_tag_taken"
    twice = {**body, "checkpoints": [{"name": "乙", "nfc_tag": "04:X"}, {"name": "丙", "nfc_tag": "04:X"}]}
    assert client.post("/api/v1/patrol/routes", json=twice, headers=login("manager_wang")).status_code == 422
    other = {**body, "checkpoints": [{"name": "丁", "building_id": 2**31 - 1}]}
    assert client.post("/api/v1/patrol/routes", json=other, headers=login("manager_wang")).status_code == 422
