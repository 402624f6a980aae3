"""Every foreign id in an access write belongs to the caller's scope and the row's compound (issue 20
item 7: 404 otherwise), and a terminal's door list is checked before it reaches the database (item 13)."""

from __future__ import annotations

from sqlalchemy import select

from anju.access.models import Terminal
from anju.accounts.models import User
from anju.registry.models import Building, Person, Unit
from tests.access.test_pins import other_compounds_door

GATE = "南门人行"


def _user_id(session, username: str) -> int:
    return session.execute(select(User.id).where(User.username == username)).scalar_one()


def _other_person(session, ids) -> int:
    return session.execute(select(Person.id).where(Person.compound_id == ids["B"])).scalars().first()


def _terminal(session, ids) -> int:
    return session.execute(select(Terminal.id).where(Terminal.compound_id == ids["A"])).scalars().first()


class TestGrantReferences:
    def test_references_into_another_compound_grant_door_user_person_are_404(self, client, login, ids, session):
        h = login("manager_wang")
        door_b = other_compounds_door(session, ids)
        staff = _user_id(session, "staff_liu")
        base = {"compound_id": ids["A"], "kinds": ["gate_pedestrian"]}
        # A door of compound B in a grant of compound A.
        r = client.post("/api/v1/access/grants", headers=h, json={**base, "user_id": staff, "access_point_id": door_b})
        assert r.status_code == 404, r.text
        # A person of compound B.
        r = client.post("/api/v1/access/grants", headers=h, json={**base, "person_id": _other_person(session, ids)})
        assert r.status_code == 404, r.text
        # A user not granted compound A (a resident account, and an id that does not exist).
        for user in (_user_id(session, "resident_li"), 2**31 - 1):
            r = client.post("/api/v1/access/grants", headers=h, json={**base, "user_id": user})
            assert r.status_code == 404, r.text
        # The right ones still work.
        assert client.post("/api/v1/access/grants", headers=h, json={**base, "user_id": staff}).status_code == 201

    def test_references_into_another_compound_card_user_is_404(self, client, login, ids, session):
        h = login("manager_wang")
        body = {"compound_id": ids["A"], "user_id": _user_id(session, "resident_li"), "card_number": "C0FFEE01"}
        assert client.post("/api/v1/access/cards", headers=h, json=body).status_code == 404
        body = {"compound_id": ids["A"], "person_id": _other_person(session, ids), "card_number": "C0FFEE02"}
        assert client.post("/api/v1/access/cards", headers=h, json=body).status_code == 404


class TestPointAndTerminalReferences:
    def test_references_into_another_compound_terminal_doors_are_404(self, client, login, ids, session, points):
        door_b = other_compounds_door(session, ids)
        h = login("admin")  # in scope of both compounds: the door's compound must still match
        r = client.put(f"/api/v1/access/terminals/{_terminal(session, ids)}/points", headers=h, json=[door_b])
        assert r.status_code == 404, r.text
        body = {"compound_id": ids["A"], "name": "混合终端", "access_point_ids": [points[GATE], door_b]}
        assert client.post("/api/v1/access/terminals", headers=h, json=body).status_code == 404

    def test_references_into_another_compound_point_building_and_unit_are_404(self, client, login, ids, session):
        b_building = session.execute(select(Building.id).where(Building.compound_id == ids["B"])).scalars().first()
        b_unit = session.execute(select(Unit.id).where(Unit.compound_id == ids["B"])).scalars().first()
        base = {"compound_id": ids["A"], "name": "新门", "location_type": "lobby", "kind": "unit_door"}
        h = login("admin")
        assert client.post("/api/v1/access/points", headers=h, json={**base, "unit_id": b_unit}).status_code == 404
        r = client.post("/api/v1/access/points", headers=h, json={**base, "building_id": b_building})
        assert r.status_code == 404


class TestTerminalDoorList:
    def test_terminal_door_list_duplicated_is_422_not_500(self, client, login, ids, session, points):
        h = login("manager_wang")
        r = client.put(f"/api/v1/access/terminals/{_terminal(session, ids)}/points", headers=h, json=[points[GATE]] * 2)
        assert r.status_code == 422, r.text
        assert "repeat" in r.text
        body = {"compound_id": ids["A"], "name": "重复", "access_point_ids": [points[GATE], points[GATE]]}
        assert client.post("/api/v1/access/terminals", headers=h, json=body).status_code == 422

    def test_terminal_door_list_very_long_is_422_not_500(self, client, login, ids, session, points):
        h = login("manager_wang")
        long = list(range(1, 100_001))
        r = client.put(f"/api/v1/access/terminals/{_terminal(session, ids)}/points", headers=h, json=long)
        assert r.status_code == 422, r.text
        body = {"compound_id": ids["A"], "name": "很长", "access_point_ids": long}
        assert client.post("/api/v1/access/terminals", headers=h, json=body).status_code == 422
        huge = [2**63 + 5]
        r = client.put(f"/api/v1/access/terminals/{_terminal(session, ids)}/points", headers=h, json=huge)
        assert r.status_code in (404, 422), r.text
