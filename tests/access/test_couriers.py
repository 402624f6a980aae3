"""Couriers and food-delivery riders (issue 18): passes instead of barring them, per-compound delivery rules,
per-delivery and per-shift passes, host confirmation, revocation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.access.conftest import terminal_headers

GATE = "南门人行"
CAR_GATE = "南门车行"
UNIT_DOOR = "3号楼1单元门"
LIFT = "3号楼1单元电梯"
LOCKER = "快递柜"


def _until(hours: float = 4) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _rider(client, login, ids, **kw):
    body = {"host_house_id": ids["li_house"], "kind": "rider", "visitor_phone": "13700001234", "valid_until": _until()}
    r = client.post("/api/v1/access/visitor-passes", headers=login("resident_li"), json={**body, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def _rule(client, login, ids, who="manager_wang", **body):
    return client.put(f"/api/v1/access/delivery-rules/{ids['A']}", headers=login(who), json=body)


class TestRiderPass:
    def test_one_delivery_one_entry_within_the_rider_window(self, client, login, ids, decide, south, points):
        p = _rider(client, login, ids, entries=5, company="美团")
        assert p["entries_allowed"] == 1 and p["company"] == "美团"
        window = datetime.fromisoformat(p["valid_until"]) - datetime.fromisoformat(p["valid_from"])
        assert window <= timedelta(minutes=45)
        assert decide(south, points[GATE], "qr", p["qr"])["decision"] == "allow"
        # The same pass a second time: the delivery is done.
        assert decide(south, points[GATE], "qr", p["qr"])["reason"] == "pass_used_up"

    def test_default_rule_takes_a_rider_to_the_lobby_not_up_the_lift(
        self, client, login, ids, decide, south, unit_terminal, points
    ):
        p = _rider(client, login, ids)
        assert decide(south, points[GATE], "qr", p["qr"])["decision"] == "allow"
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", p["qr"])["decision"] == "allow"
        assert decide(unit_terminal, points[LIFT], "qr", p["qr"])["reason"] == "not_permitted"

    def test_rider_never_through_the_car_gate(self, client, login, ids, decide, south, points):
        p = _rider(client, login, ids)
        assert decide(south, points[CAR_GATE], "qr", p["qr"])["reason"] == "courier_gates_only"

    def test_rider_pass_outside_its_window(self, client, login, ids, decide, south, points):
        later = datetime.now(UTC) + timedelta(hours=1)
        p = _rider(client, login, ids, valid_from=later.isoformat(), valid_until=_until(3))
        assert decide(south, points[GATE], "qr", p["qr"])["reason"] == "pass_not_yet_valid"

    def test_rider_at_the_gate_waits_for_the_host(self, client, login, ids, decide, south, points):
        r = client.post(
            "/api/v1/access/walk-ins",
            headers=login("guard_chen"),
            json={"host_house_id": ids["li_house"], "visitor_phone": "13700009999", "kind": "rider", "minutes": 30},
        )
        assert r.status_code == 201, r.text
        w = r.json()
        window = datetime.fromisoformat(w["valid_until"]) - datetime.fromisoformat(w["valid_from"])
        assert window == timedelta(minutes=30)
        assert decide(south, points[GATE], "qr", w["qr"])["reason"] == "pass_pending_approval"
        ok = client.post(f"/api/v1/access/visitor-passes/{w['id']}/approve", headers=login("resident_li"))
        assert ok.status_code == 200
        assert decide(south, points[GATE], "qr", w["qr"])["decision"] == "allow"
        assert decide(south, points[GATE], "qr", w["qr"])["reason"] == "pass_used_up"


class TestDeliveryRule:
    def test_defaults(self, client, login, ids):
        r = client.get(f"/api/v1/access/delivery-rules/{ids['A']}", headers=login("resident_li"))
        assert r.status_code == 200
        assert (r.json()["courier_reach"], r.json()["rider_reach"]) == ("lockers", "lobby")
        assert (r.json()["courier_minutes"], r.json()["rider_minutes"], r.json()["shift_hours"]) == (30, 45, 12)

    def test_to_the_door_lets_a_rider_ride_the_lift_to_the_host_floor(
        self, client, login, ids, decide, south, unit_terminal, points
    ):
        assert _rule(client, login, ids, rider_reach="door").status_code == 200
        p = _rider(client, login, ids)
        d = decide(unit_terminal, points[LIFT], "qr", p["qr"])
        assert d["decision"] == "allow" and 8 in d["floors"]

    def test_lockers_only_keeps_riders_out_of_buildings(self, client, login, ids, decide, unit_terminal, points):
        assert _rule(client, login, ids, rider_reach="lockers").status_code == 200
        p = _rider(client, login, ids)
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", p["qr"])["reason"] == "courier_gates_only"
        east = terminal_headers("east")
        assert decide(east, points[LOCKER], "qr", p["qr"])["decision"] == "allow"

    def test_desk_registered_riders_follow_the_rule_too(self, client, login, ids):
        assert _rule(client, login, ids, rider_minutes=20).status_code == 200
        r = client.post(
            "/api/v1/access/walk-ins",
            headers=login("guard_chen"),
            json={"host_house_id": ids["li_house"], "visitor_phone": "13700009999", "kind": "rider", "minutes": 60},
        )
        w = r.json()
        assert datetime.fromisoformat(w["valid_until"]) - datetime.fromisoformat(w["valid_from"]) == timedelta(
            minutes=20
        )

    def test_courier_minutes_follow_the_rule(self, client, login, ids):
        assert _rule(client, login, ids, courier_minutes=15).status_code == 200
        p = _rider(client, login, ids, kind="courier")
        window = datetime.fromisoformat(p["valid_until"]) - datetime.fromisoformat(p["valid_from"])
        assert window <= timedelta(minutes=15)

    def test_only_the_manager_sets_it(self, client, login, ids):
        assert _rule(client, login, ids, who="resident_li", rider_reach="door").status_code == 403
        assert _rule(client, login, ids, who="guard_chen", rider_reach="door").status_code == 403
        r = client.put(
            f"/api/v1/access/delivery-rules/{ids['B']}", headers=login("manager_wang"), json={"rider_reach": "door"}
        )
        assert r.status_code == 404

    def test_bad_values_are_422(self, client, login, ids):
        assert _rule(client, login, ids, rider_reach="roof").status_code == 422
        assert _rule(client, login, ids, rider_minutes=0).status_code == 422


class TestCourierShift:
    def _shift(self, client, login, ids, who="guard_chen", **kw):
        body = {
            "kind": "courier",
            "per_shift": True,
            "compound_id": ids["A"],
            "visitor_name": "赵师傅",
            "company": "顺丰",
            "entries": 20,
            "valid_until": _until(10),
            **kw,
        }
        return client.post("/api/v1/access/visitor-passes", headers=login(who), json=body)

    def test_desk_issues_a_shift_pass_for_gates_and_lockers(
        self, client, login, ids, decide, south, unit_terminal, points
    ):
        r = self._shift(client, login, ids)
        assert r.status_code == 201, r.text
        p = r.json()
        assert p["host_house_id"] is None and p["entries_allowed"] == 20
        for _ in range(3):
            assert decide(south, points[GATE], "qr", p["qr"])["decision"] == "allow"
        assert decide(terminal_headers("east"), points[LOCKER], "qr", p["qr"])["decision"] == "allow"
        assert decide(unit_terminal, points[UNIT_DOOR], "qr", p["qr"])["reason"] == "courier_gates_only"

    def test_shift_is_time_boxed(self, client, login, ids):
        r = self._shift(client, login, ids, valid_until=_until(13))
        assert r.status_code == 422

    def test_revoked_shift_pass_is_refused(self, client, login, ids, decide, south, points):
        p = self._shift(client, login, ids).json()
        r = client.post(f"/api/v1/access/visitor-passes/{p['id']}/revoke", headers=login("guard_chen"))
        assert r.status_code == 200
        assert decide(south, points[GATE], "qr", p["qr"])["reason"] == "pass_revoked"

    def test_residents_cannot_issue_shift_passes(self, client, login, ids):
        assert self._shift(client, login, ids, who="resident_li").status_code == 403

    def test_only_couriers_have_shifts_and_others_need_a_house(self, client, login, ids):
        assert self._shift(client, login, ids, kind="rider").status_code == 422
        r = client.post(
            "/api/v1/access/visitor-passes",
            headers=login("resident_li"),
            json={"visitor_name": "x", "valid_until": _until()},
        )
        assert r.status_code == 422

    def test_other_compound_is_not_found(self, client, login, ids):
        assert self._shift(client, login, ids, compound_id=ids["B"]).status_code == 404
