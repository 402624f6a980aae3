"""Evacuation estimates per building (floor-plan templates, a drawn floor refused with its reason, what-if with a
blocked exit), the estimate made when a plan is activated for a building, supply draw-down on activation (never
below zero, recorded; an exercise draws nothing), and the drill's measured time against the simulation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from anju.emergency.models import EmergencyDrill, SupplyItem
from anju.notify.models import Notification
from tests.emergency.test_emergency import API, _building, plan_body


def _slab(client, login, building_id, people=12):
    r = client.put(
        f"{API}/buildings/{building_id}/floor-plan",
        json={"template": "slab", "people_per_floor": people, "elderly_percent": 0},
        headers=login("manager_wang"),
    )
    assert r.status_code == 200, r.text
    return r.json()


class TestSimulation:
    def test_a_building_evacuates_and_a_blocked_stair_takes_longer(self, client, login, session, ids):
        b = _building(session, ids["A"])
        fp = _slab(client, login, b.id)
        assert {e["key"] for e in fp["geometry"]["exits"]} == {"west", "east"}
        h = login("manager_wang")
        both = client.post(f"{API}/buildings/{b.id}/evacuation", json={}, headers=h)
        assert both.status_code == 201, both.text
        run = both.json()
        assert run["people"] == 12 * b.floors and run["floors"] == b.floors
        per_exit = {e["key"]: e["people"] for e in run["result"]["exits"]}
        assert set(per_exit) == {"west", "east"} and sum(per_exit.values()) == 12 and min(per_exit.values()) >= 4
        assert run["seconds"] >= run["floor_seconds"] > 0
        one = client.post(f"{API}/buildings/{b.id}/evacuation", json={"blocked": ["east"]}, headers=h).json()
        assert one["blocked"] == ["east"] and [e["key"] for e in one["result"]["exits"]] == ["west"]
        assert one["result"]["exits"][0]["people"] == 12
        assert one["seconds"] > run["seconds"]
        listed = client.get(f"{API}/buildings/{b.id}/evacuation", headers=h).json()
        assert [r["id"] for r in listed[:2]] == [one["id"], run["id"]]

    def test_bad_geometry_and_unknown_exits_are_refused_with_the_reason(self, client, login, session, ids):
        b = _building(session, ids["A"])
        h = login("manager_wang")
        bad = {
            "template": "custom",
            "people_per_floor": 10,
            "geometry": {"outline": [[0, 0], [10, 0], [10, 10], [0, 10]], "exits": []},
        }
        r = client.put(f"{API}/buildings/{b.id}/floor-plan", json=bad, headers=h)
        assert r.status_code == 422 and "no exit" in r.json()["error"]["message"]["en"]
        bowtie = bad | {
            "geometry": {"outline": [[0, 0], [4, 4], [4, 0], [0, 4]], "exits": [{"area": [[0, 0], [1, 0], [1, 1]]}]}
        }
        r = client.put(f"{API}/buildings/{b.id}/floor-plan", json=bowtie, headers=h)
        assert r.status_code == 422 and "simple closed polygon" in r.json()["error"]["message"]["en"]
        assert client.get(f"{API}/buildings/{b.id}/floor-plan", headers=h).json()["template"] != "custom"  # unchanged
        r = client.post(f"{API}/buildings/{b.id}/evacuation", json={"blocked": ["north"]}, headers=h)
        assert r.status_code == 422
        _slab(client, login, b.id)
        r = client.post(f"{API}/buildings/{b.id}/evacuation", json={"blocked": ["east", "west"]}, headers=h)
        assert r.status_code == 422 and "every exit" in r.json()["error"]["message"]["en"]

    def test_a_drawn_floor_is_simulated(self, client, login, session, ids):
        b = _building(session, ids["A"])
        h = login("manager_wang")
        room = {
            "template": "custom",
            "people_per_floor": 20,
            "elderly_percent": 0,
            "geometry": {
                "outline": [[0, 0], [10, 0], [10, 4.5], [12, 4.5], [12, 5.5], [10, 5.5], [10, 10], [0, 10]],
                "exits": [
                    {
                        "key": "door",
                        "name": "大门",
                        "area": [[11, 4.5], [12, 4.5], [12, 5.5], [11, 5.5]],
                        "width": 1.0,
                        "kind": "door",
                    }
                ],
            },
        }
        assert client.put(f"{API}/buildings/{b.id}/floor-plan", json=room, headers=h).status_code == 200
        run = client.post(f"{API}/buildings/{b.id}/evacuation", json={}, headers=h).json()
        # a door on the ground: every floor's people leave by it, but nobody walks stairs
        assert run["result"]["exits"][0]["people"] == 20 and run["result"]["stairs"][0]["people"] == 20

    def test_other_compounds_buildings_are_refused(self, client, login, session, ids):
        b = _building(session, ids["B"])
        r = client.post(f"{API}/buildings/{b.id}/evacuation", json={}, headers=login("manager_wang"))
        assert r.status_code == 404
        assert client.get(f"{API}/buildings/{b.id}/floor-plan", headers=login("manager_wang")).status_code == 404


class TestActivation:
    def test_activation_draws_supplies_never_below_zero_and_estimates_the_building(self, client, login, session, ids):
        h = login("manager_wang")
        for name, qty in (("T灭火器", 3), ("T应急照明", 10)):
            body = {"compound_id": ids["A"], "store": "T物资库", "name": name, "quantity": qty}
            assert client.post(f"{API}/supplies", json=body, headers=h).status_code == 201
        plan = client.post(
            f"{API}/plans", json=plan_body(ids["A"]) | {"resources": ["T灭火器×4", "T应急照明*2", "T沙袋"]}, headers=h
        ).json()
        b = _building(session, ids["A"])
        _slab(client, login, b.id)
        inc = client.post(f"{API}/plans/{plan['id']}/activate", json={"building_id": b.id}, headers=h)
        assert inc.status_code == 201, inc.text
        got = inc.json()
        draws = {d["resource"]: (d["asked"], d["drawn"]) for d in got["draws"]}
        assert draws == {"T灭火器": (4, 3), "T应急照明": (2, 2), "T沙袋": (1, 0)}
        stock = {
            s.name: s.quantity
            for s in session.execute(select(SupplyItem).where(SupplyItem.store == "T物资库")).scalars()
        }
        assert stock == {"T灭火器": 0, "T应急照明": 8}
        short = session.execute(select(Notification).where(Notification.title.like("%应急物资不足%"))).scalars().all()
        assert short and "T灭火器 缺 1" in short[0].body
        assert got["evacuation_seconds"] and got["evacuation_seconds"] > 0

    def test_an_exercise_draws_nothing(self, client, login, session, ids):
        h = login("manager_wang")
        body = {"compound_id": ids["A"], "store": "T库", "name": "T灭火器", "quantity": 5}
        assert client.post(f"{API}/supplies", json=body, headers=h).status_code == 201
        plan = client.post(f"{API}/plans", json=plan_body(ids["A"]) | {"resources": ["T灭火器×2"]}, headers=h).json()
        got = client.post(f"{API}/plans/{plan['id']}/activate", json={"exercise": True}, headers=h).json()
        assert got["draws"] == []
        assert session.execute(select(SupplyItem.quantity).where(SupplyItem.store == "T库")).scalar_one() == 5


def test_a_drill_records_its_building_for_the_comparison(client, login, session, ids, who):
    from anju.emergency.evacuation_service import evacuation_service

    h = login("manager_wang")
    b = _building(session, ids["A"])
    _slab(client, login, b.id)
    run = client.post(f"{API}/buildings/{b.id}/evacuation", json={}, headers=h).json()
    plan = client.post(f"{API}/plans", json=plan_body(ids["A"]), headers=h).json()
    held = datetime(2026, 12, 1, 2, 0, tzinfo=UTC).isoformat()
    body = {"held_at": held, "participants": 80, "evacuation_seconds": 420, "building_id": b.id}
    assert client.post(f"{API}/plans/{plan['id']}/drills", json=body, headers=h).status_code == 201
    rows = evacuation_service.drill_comparison(session, by=who("manager_wang"), compound_id=ids["A"])
    drill, name, sim = rows[0]
    assert isinstance(drill, EmergencyDrill) and drill.building_id == b.id and name == b.name
    assert sim is not None and sim.id == run["id"]
    other = _building(session, ids["B"])
    assert (
        client.post(f"{API}/plans/{plan['id']}/drills", json=body | {"building_id": other.id}, headers=h).status_code
        == 422
    )


def test_the_console_page_runs_a_what_if_and_shows_the_result(client, session, ids, web_login):
    b = _building(session, ids["A"])
    web_login("manager_wang")
    origin = {"Origin": "http://testserver"}
    r = client.post(
        f"/console/emergency/evacuation/{b.id}/floor-plan",
        data={"template": "tower", "people_per_floor": "8", "elderly_percent": "25"},
        headers=origin,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "err=" not in r.headers["location"]
    r = client.post(
        f"/console/emergency/evacuation/{b.id}/run", data={"blocked": "west"}, headers=origin, follow_redirects=False
    )
    assert r.status_code == 303 and "run_id=" in r.headers["location"], r.headers["location"]
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert 'data-testid="ev-result"' in page.text and "点式塔楼" in page.text and "西楼梯" in page.text
    assert "全楼疏散用时" in page.text and "<svg" in page.text
    assert "east" not in page.text.split('data-testid="ev-exits"')[1].split("</table>")[0]  # labels, not keys
    client.cookies.set("anju_lang", "en")
    en = client.get(r.headers["location"])
    client.cookies.delete("anju_lang")
    assert "Building evacuation time" in en.text and "West stairs" not in en.text
    bad = client.post(
        f"/console/emergency/evacuation/{b.id}/run",
        data={"blocked": ["west", "east"]},
        headers=origin,
        follow_redirects=False,
    )
    assert "err=" in bad.headers["location"]
