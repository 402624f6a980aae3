"""The compound to its assembly points (issue 16): points on the site plan's open space (bad places refused with
the reason), per-building routes around the buildings, capacity, and the estimate from the buildings' own
simulations (identical buildings share one JuPedSim run)."""

from __future__ import annotations

import math

from sqlalchemy import func, select

from anju.emergency.models import BuildingFloorPlan, EvacuationRun
from anju.registry.models import Building, Compound

API = "/api/v1/emergency"


def _point(client, h, compound_id, name, x, y, capacity):
    body = {"compound_id": compound_id, "name": name, "plan_x": x, "plan_y": y, "capacity": capacity}
    return client.post(f"{API}/assembly-points", json=body, headers=h)


class TestAssemblyPoints:
    def test_a_point_must_be_in_the_open_space_and_named_once(self, client, login, session, ids):
        h = login("manager_wang")
        shape = session.get(Compound, ids["A"]).site_plan["buildings"][0]
        inside = _point(client, h, ids["A"], "楼内", shape["x"] + 5, shape["y"] + 5, 50)
        assert inside.status_code == 422 and "open space" in inside.json()["error"]["message"]["en"]
        assert _point(client, h, ids["A"], "图外", 99_000, 10, 50).status_code == 422
        assert _point(client, h, ids["A"], "南广场", 150, 20, 50).status_code == 201
        assert _point(client, h, ids["A"], "南广场", 160, 20, 50).status_code == 409
        assert _point(client, h, ids["B"], "别处", 10, 10, 50).status_code == 404
        listed = client.get(f"{API}/assembly-points", params={"compound_id": ids["A"]}, headers=h).json()
        assert [p["name"] for p in listed] == ["南广场"]


class TestCompoundEvacuation:
    def test_buildings_route_to_points_with_room_and_the_estimate_adds_the_walk(self, client, login, session, ids):
        h = login("manager_wang")
        buildings = list(
            session.execute(select(Building).where(Building.compound_id == ids["A"]).order_by(Building.id)).scalars()
        )
        for b in buildings:  # small floors keep the one JuPedSim run short
            session.add(
                BuildingFloorPlan(
                    compound_id=ids["A"], building_id=b.id, template="walkup", people_per_floor=2, elderly_percent=0
                )
            )
        session.commit()
        people = 2 * buildings[0].floors
        near = _point(client, h, ids["A"], "南广场", 150, 20, people + 1).json()  # room for one building only
        _point(client, h, ids["A"], "东草坪", 900, 200, 1000)
        r = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h)
        assert r.status_code == 200, r.text
        res = r.json()
        assert len(res["routes"]) == len(buildings) and res["unplaced_buildings"] == []
        loads = {p["name"]: p for p in res["assembly_points"]}
        assert loads["南广场"]["people"] == people and loads["东草坪"]["people"] == people * (len(buildings) - 1)
        for route in res["routes"]:
            walk = route["metres"] / 1.2  # no slower walkers in this compound
            assert math.isclose(route["total_seconds"], route["building_seconds"] + walk, abs_tol=0.2)
            straight = math.dist(route["route"][0], route["route"][-1]) * res["metres_per_unit"]
            assert route["metres"] >= straight - 0.1  # around the buildings, never shorter than the line
            assert not route["over_capacity"]
        assert [x["assembly_point_id"] for x in res["routes"]].count(near["id"]) == 1
        assert res["seconds"] == max(x["total_seconds"] for x in res["routes"])
        runs = session.execute(
            select(func.count(EvacuationRun.id), func.count(func.distinct(EvacuationRun.seconds))).where(
                EvacuationRun.compound_id == ids["A"], EvacuationRun.people == people
            )
        ).one()
        assert runs == (len(buildings), 1)  # one run stored per building, all from the one simulation

    def test_no_assembly_point_is_refused_with_the_reason(self, client, login, ids):
        r = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=login("manager_wang"))
        assert r.status_code == 422 and "no assembly point" in r.json()["error"]["message"]["en"]


def test_the_page_places_a_point_and_shows_the_compound_estimate(client, session, ids, web_login):
    for b in session.execute(select(Building).where(Building.compound_id == ids["A"])).scalars():
        session.add(
            BuildingFloorPlan(
                compound_id=ids["A"], building_id=b.id, template="walkup", people_per_floor=1, elderly_percent=0
            )
        )
    session.commit()
    web_login("manager_wang")
    origin = {"Origin": "http://testserver"}
    page = "/console/emergency/evacuation"
    assert "尚未设置集合点" in client.get(page).text
    bad = {"name": "楼里", "plan_x": "70", "plan_y": "70", "capacity": "100"}
    r = client.post(f"{page}/points", data=bad, headers=origin, follow_redirects=False)
    assert "err=" in r.headers["location"]
    good = {"name": "南广场", "plan_x": "150", "plan_y": "20", "capacity": "500"}
    r = client.post(f"{page}/points", data=good, headers=origin, follow_redirects=False)
    assert r.status_code == 303 and "err=" not in r.headers["location"], r.headers["location"]
    before = client.get(page).text
    assert "南广场" in before and "未模拟" in before  # a page view simulates nothing
    r = client.post(f"{page}/compound/run", headers=origin, follow_redirects=False)
    assert "err=" not in r.headers["location"], r.headers["location"]
    after = client.get(page).text
    routes = after.split('data-testid="ev-site-routes"')[1].split("</table>")[0]
    assert "未模拟" not in routes and "步行" in routes and "<polyline" in after
    assert "最后一人到达集合点" in after
    client.cookies.set("anju_lang", "en")
    en = client.get(page).text
    client.cookies.delete("anju_lang")
    assert "Last person at an assembly point" in en and "ev.site" not in en
