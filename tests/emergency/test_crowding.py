"""Crowding on the compound's shared ways (issue 16): the queueing model of `evacuation.crowd_delays` against hand
calculations, and the compound estimate reporting the crowded time beside the uncrowded one."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from sqlalchemy import select

from anju.emergency import evacuation as ev
from anju.emergency.exceptions import BadGeometry
from anju.emergency.models import BuildingFloorPlan
from anju.registry.models import Building

API = "/api/v1/emergency"


def _route(key: int, people: int, seconds: float, discharge: float | None, way, point: ev.SitePoint) -> ev.SiteRoute:
    b = ev.SiteBuilding(key, f"{key}号楼", (0, 0, 1, 1), people, seconds, discharge)
    metres = sum(math.dist(a, c) for a, c in pairwise(way))
    return ev.SiteRoute(b, point, way, metres, metres, seconds + metres)


class TestQueueingModel:
    def test_one_building_on_a_free_way_arrives_as_the_uncrowded_estimate(self):
        point = ev.SitePoint(1, "南广场", 100, 0, 10_000)
        r = _route(1, 40, 120.0, 1.0, [(0, 0), (50, 0), (100, 0)], point)
        crowd = ev.crowd_delays([r], metres_per_unit=1.0, speed=1.0, path_width=4.0)
        # 1 person/s out of the doors, 5.2 persons/s through every cross-section: nobody waits.
        assert crowd.last_by_building == {1: pytest.approx(120.0 + 100.0, abs=0.1)}
        assert crowd.bottlenecks == []

    def test_two_buildings_meeting_at_a_corner_queue_there(self):
        point = ev.SitePoint(1, "南广场", 100, 0, 10_000)
        # Both let 100 people out at once (a huge discharge) 10 m from the shared corner at (50, 0).
        a = _route(1, 100, 50.0, 1000.0, [(40, 0), (50, 0), (100, 0)], point)
        b = _route(2, 100, 50.0, 1000.0, [(50, 10), (50, 0), (100, 0)], point)
        crowd = ev.crowd_delays([a, b], metres_per_unit=1.0, speed=1.0, path_width=1.0)
        # The corner passes 1.3 persons/s: 200 people need (200 - 1) / 1.3 s after the first reaches it.
        first_at_corner = 50.0 - 99 / 1000.0 + 10.0
        last_through = first_at_corner + 199 / 1.3
        assert max(crowd.last_by_building.values()) == pytest.approx(last_through + 50.0, abs=1.0)
        x, y, wait, through = crowd.bottlenecks[0]
        assert (x, y) == (50.0, 0.0) and through == 200 and wait > 100
        uncrowded = max(r.total_seconds for r in (a, b))
        assert max(crowd.last_by_building.values()) > 2 * uncrowded

    def test_a_small_assembly_point_is_a_bottleneck_of_its_own(self):
        small = ev.SitePoint(1, "小花园", 100, 0, 8)  # 2 m square: 2.6 persons/s, the path (4 m) passes 5.2
        r = _route(1, 60, 10.0, 100.0, [(0, 0), (100, 0)], small)
        crowd = ev.crowd_delays([r], metres_per_unit=1.0, speed=1.0, path_width=4.0)
        assert crowd.last_by_building[1] > r.total_seconds + 15
        assert crowd.bottlenecks[0][:2] == (100.0, 0.0)

    def test_bad_width_is_refused(self):
        point = ev.SitePoint(1, "南广场", 100, 0, 100)
        with pytest.raises(BadGeometry):
            ev.crowd_delays(
                [_route(1, 5, 1.0, 1.0, [(0, 0), (100, 0)], point)], metres_per_unit=1, speed=1, path_width=0
            )


def test_the_compound_estimate_reports_crowding_beside_the_uncrowded_time(client, login, session, ids):
    h = login("manager_wang")
    for b in session.execute(select(Building).where(Building.compound_id == ids["A"])).scalars():
        session.add(
            BuildingFloorPlan(
                compound_id=ids["A"], building_id=b.id, template="slab", people_per_floor=12, elderly_percent=0
            )
        )
    session.commit()
    small = {"compound_id": ids["A"], "name": "南广场", "plan_x": 150, "plan_y": 20, "capacity": 5000}
    assert client.post(f"{API}/assembly-points", json=small, headers=h).status_code == 201
    r = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["seconds"] is not None and res["crowded_seconds"] >= res["seconds"]
    for route in res["routes"]:
        assert route["crowded_seconds"] >= route["total_seconds"] - 0.2
    load = res["assembly_points"][0]
    assert load["crowded_last_arrival_seconds"] == pytest.approx(res["crowded_seconds"], abs=0.2)
    assert all(len(b) == 4 for b in res["bottlenecks"])
