"""Issue 17 item 5: roles see what their work needs (minimum necessary, R-P6).

A technician (tech_ma) works orders and reads houses and the site plan, never the resident roster or the fees; a
guard (guard_chen) keeps the gate desk, patrol, alarms and plates but not the roster or the fees; a grid worker
keeps the grid's (masked) people and no fees; front-desk staff (staff_liu) keep the roster and the fee counter.
Each forbidden read is a 403 (or 404 for one row) on the API and the console; each needed read still works.
"""

from __future__ import annotations

import pytest

from anju.core.rbac import Role, allowed
from anju.fees.permissions import FeesPerm
from anju.registry.permissions import RegistryPerm
from anju.web.nav import home_for, nav_for
from anju.workorders.permissions import WorkOrdersPerm
from tests.web.conftest import ORIGIN

OK = 200


def _nav_hrefs(who) -> set[str]:
    return {i.href for g in nav_for(who) for i in g.items}


def test_r_p6_technician_and_guard_hold_no_roster_or_fee_permission():
    for role in (Role.technician, Role.guard):
        assert not allowed(role, RegistryPerm.people_read), role
        assert not allowed(role, RegistryPerm.people_unmask), role
        assert not allowed(role, FeesPerm.read) and not allowed(role, FeesPerm.collect), role
    assert allowed(Role.technician, WorkOrdersPerm.work) and allowed(Role.technician, RegistryPerm.read)
    assert not allowed(Role.technician, RegistryPerm.vehicles_read)
    assert not allowed(Role.grid_worker, FeesPerm.read)
    # front-desk staff keep the roster and the counter (R-M7: a staffed channel)
    assert allowed(Role.property_staff, RegistryPerm.people_read) and allowed(Role.property_staff, FeesPerm.collect)


# (user, API path template, expected status): the forbidden reads and the needed ones, per role.
API_CASES = [
    ("tech_ma", "/api/v1/people", 403),
    ("tech_ma", "/api/v1/people/{li_person}", 403),
    ("tech_ma", "/api/v1/vehicles", 403),
    ("tech_ma", "/api/v1/fees/arrears?compound_id={A}", 403),
    ("tech_ma", "/api/v1/houses/{li_house}", OK),
    ("tech_ma", "/api/v1/work-orders?compound_id={A}", OK),
    ("guard_chen", "/api/v1/people", 403),
    ("guard_chen", "/api/v1/people/{li_person}", 403),
    ("guard_chen", "/api/v1/fees/arrears?compound_id={A}", 403),
    ("guard_chen", "/api/v1/houses/{li_house}", OK),
    ("grid_zhou", "/api/v1/fees/arrears?compound_id={A}", 403),
    ("grid_zhou", "/api/v1/people", OK),
    ("staff_liu", "/api/v1/people", OK),
    ("staff_liu", "/api/v1/fees/arrears?compound_id={A}", OK),
]


@pytest.mark.parametrize(("user", "path", "expected"), API_CASES)
def test_r_p6_api_reads_per_role(client, login, ids, user, path, expected):
    r = client.get(path.format(**ids), headers=login(user))
    assert r.status_code == expected, (user, path, r.status_code, r.text[:200])


def test_r_p6_fee_rows_stay_hidden_from_technicians_and_guards(client, login, ids):
    staff = client.get("/api/v1/fees/bills", params={"compound_id": ids["A"]}, headers=login("staff_liu")).json()
    assert staff["items"], "the demo has bills: the check below could not fail otherwise"
    bill_id = staff["items"][0]["id"]
    for user in ("tech_ma", "guard_chen"):
        rows = client.get("/api/v1/fees/bills", params={"compound_id": ids["A"]}, headers=login(user))
        assert rows.status_code == 403, user  # refused with the reason, not an empty list
        assert client.get(f"/api/v1/fees/bills/{bill_id}", headers=login(user)).status_code == 404, user


CONSOLE_CASES = [
    ("tech_ma", "/console/residents", 403),
    ("tech_ma", "/console/fees", 403),
    ("tech_ma", "/console/vehicles", 403),
    ("tech_ma", "/field/tasks", OK),
    ("tech_ma", "/console/my-tasks", OK),
    ("tech_ma", "/console/houses", OK),
    ("tech_ma", "/console/facilities", OK),
    ("guard_chen", "/console/residents", 403),
    ("guard_chen", "/console/fees", 403),
    ("guard_chen", "/console/access", OK),
    ("guard_chen", "/console/vehicles", OK),
    ("guard_chen", "/field/alarms", OK),
    ("guard_chen", "/h5/patrol/scan", OK),
    ("grid_zhou", "/console/fees", 403),
    ("grid_zhou", "/field/grid", OK),
    ("staff_liu", "/console/fees", OK),
    ("staff_liu", "/console/residents", OK),
]


@pytest.mark.parametrize(("user", "path", "expected"), CONSOLE_CASES)
def test_r_p6_console_pages_per_role(client, web_login, user, path, expected):
    web_login(user)
    r = client.get(path, follow_redirects=False)
    assert r.status_code == expected, (user, path, r.status_code)


def test_r_p6_menus_leave_out_the_roster_and_fees(persona):
    for user in ("tech_ma", "guard_chen"):
        hrefs = _nav_hrefs(persona(user).who)
        assert "/console/residents" not in hrefs and "/console/fees" not in hrefs, user
    assert "/console/my-tasks" in _nav_hrefs(persona("tech_ma").who)
    assert "/console/fees" in _nav_hrefs(persona("staff_liu").who)


def test_technician_lands_on_the_phone_tasks(client, web_login, persona):
    assert home_for(persona("tech_ma").who) == "/field"
    web_login("tech_ma")
    r = client.get("/field", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/field/tasks"
    tabs = client.get("/field/tasks").text
    assert 'href="/field/tasks"' in tabs and 'href="/field/grid"' not in tabs and "/field/snap" not in tabs


def test_house_page_shows_occupants_only_to_roster_readers(client, web_login, ids, session):
    from anju.registry.models import Person

    name = session.get(Person, ids["li_person"]).name
    web_login("staff_liu")
    assert name in client.get(f"/console/house/{ids['li_house']}").text
    for user in ("tech_ma", "guard_chen"):
        web_login(user)
        r = client.get(f"/console/house/{ids['li_house']}")
        assert r.status_code == OK and name not in r.text, user


def test_a_manager_may_create_a_technician(client, login, ids):
    r = client.post(
        "/api/v1/users",
        json={
            "username": "tech_new",
            "display_name": "新师傅",
            "role": "technician",
            "compound_ids": [ids["A"]],
        },
        headers={**login("manager_wang"), **ORIGIN},
    )
    assert r.status_code == 201, r.text[:300]
    assert r.json()["user"]["role"] == "technician" if "user" in r.json() else r.json()["role"] == "technician"
