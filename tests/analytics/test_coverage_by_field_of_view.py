"""Camera coverage of key positions by either rule: an online camera has the position's plan point in its field of
view, or an online camera is assigned to it (the hand-computed layout below, default scale 0.5 m per plan unit)."""

from __future__ import annotations

from anju.analytics.coverage import coverage_figures, key_position_service
from anju.devices.enums import DeviceStatus
from anju.devices.models import DeviceState
from anju.registry.models import Compound

ORIGIN = {"Origin": "http://testserver"}
PLAN = {"width": 1000, "height": 500, "gates": [], "buildings": []}


def camera(client, login, compound_id, key, *, x, y, heading, fov, range_m) -> int:
    body = {
        "compound_id": compound_id,
        "device_key": key,
        "name": key,
        "url": "rtsp://admin:pw@10.0.0.9:554/ch1",
        "plan_x": x,
        "plan_y": y,
        "heading_deg": heading,
        "fov_deg": fov,
        "range_m": range_m,
        "signage_installed": True,
    }
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    return int(r.json()["device_id"])


def online(session, compound_id, device_id, status=DeviceStatus.online) -> None:
    session.add(DeviceState(device_id=device_id, compound_id=compound_id, status=status))
    session.flush()


def layout(session, client, login, persona, ids):
    """Camera E at (100, 100) looking east, 90°, 50 m (= 100 plan units), online; camera D at the same point, 360°,
    100 m, offline. Positions: P1 (180, 100) 40 m at 90°: in view; P2 (150, 150) 35.4 m at 135°: on the boundary
    ray; P3 (100, 180) at 180°: outside E's sector (only the offline D sees it); P4 (250, 100) 75 m: beyond range;
    P5 no plan point, E assigned: covered by assignment."""
    a = ids["A"]
    session.get(Compound, a).site_plan = dict(PLAN)
    session.flush()
    e = camera(client, login, a, "CAM-FOV-E", x=100, y=100, heading=90, fov=90, range_m=50)
    d = camera(client, login, a, "CAM-FOV-D", x=100, y=100, heading=None, fov=360, range_m=100)
    online(session, a, e)
    online(session, a, d, DeviceStatus.offline)
    who = persona("manager_wang").who
    made = {}
    for name, x, y, cams in (
        ("P1", 180, 100, []),
        ("P2", 150, 150, []),
        ("P3", 100, 180, []),
        ("P4", 250, 100, []),
        ("P5", None, None, [e]),
    ):
        made[name] = key_position_service.create(
            session, who=who, compound_id=a, kind="gate", name=name, plan_x=x, plan_y=y, camera_device_ids=cams
        )
    return a, e, d, made


def test_a_position_is_covered_in_view_or_by_assignment(session, client, login, persona, ids):
    a, e, d, _made = layout(session, client, login, persona, ids)
    states = {
        s.name: s for s in key_position_service.positions(session, who=persona("manager_wang").who, compound_id=a)
    }
    assert {n: (s.in_view, s.online, s.covered) for n, s in states.items()} == {
        "P1": ([e], [], True),
        "P2": ([e], [], True),
        "P3": ([], [], False),  # the 360° camera that sees it is offline
        "P4": ([], [], False),
        "P5": ([], [e], True),
    }
    f = coverage_figures(session, compound_id=a)
    assert (f["key_positions"], f["key_positions_covered"], f["camera_coverage"]) == (5, 3, 60.0)
    online_d = session.get(DeviceState, d)
    online_d.status = DeviceStatus.online
    session.flush()
    f = coverage_figures(session, compound_id=a)  # D's 360°, 100 m (200 units) now takes in P3 (40 m) and P4 (75 m)
    assert f["key_positions_covered"] == 5 and f["camera_coverage"] == 100.0


def test_the_plans_scale_decides_the_range(session, client, login, persona, ids):
    a, e, _d, _made = layout(session, client, login, persona, ids)
    session.get(Compound, a).site_plan = {**PLAN, "metres_per_unit": 0.25}  # P4: 150 units = 37.5 m ≤ 50 m
    session.flush()
    states = {
        s.name: s for s in key_position_service.positions(session, who=persona("manager_wang").who, compound_id=a)
    }
    assert states["P4"].in_view == [e] and coverage_figures(session, compound_id=a)["camera_coverage"] == 80.0


def test_an_unplaced_camera_covers_only_by_assignment(session, client, login, persona, ids):
    a, e, _d, _made = layout(session, client, login, persona, ids)
    r = client.patch(
        f"/api/v1/video/cameras/{_camera_id(client, login, e)}", json={"range_m": None}, headers=login("manager_wang")
    )
    assert r.status_code == 200, r.text
    f = coverage_figures(session, compound_id=a)
    assert (f["key_positions_covered"], f["camera_coverage"]) == (1, 20.0)  # only P5, assigned


def _camera_id(client, login, device_id) -> int:
    r = client.get("/api/v1/video/cameras", headers=login("manager_wang"))
    return next(c["id"] for c in r.json() if c["device_id"] == device_id)


def test_the_api_and_the_page_name_the_covering_cameras_and_their_rule(session, client, login, persona, ids):
    a, e, _d, made = layout(session, client, login, persona, ids)
    r = client.get(f"/api/v1/analytics/key-positions?compound_id={a}", headers=login("manager_wang"))
    by_name = {p["name"]: p for p in r.json()}
    assert by_name["P2"]["in_view"] == [e] and by_name["P2"]["covered"] is True
    assert by_name["P5"]["online"] == [e] and by_name["P5"]["in_view"] == []
    persona("manager_wang").web(client)
    page = client.get(f"/console/key-positions?compound_id={a}").text
    row = page.split(f'data-position="{made["P1"].id}"')[1].split("</tr>")[0]
    assert 'data-covered="yes"' in row and "CAM-FOV-E（视野内）" in row
    row = page.split(f'data-position="{made["P5"].id}"')[1].split("</tr>")[0]
    assert "CAM-FOV-E（指派）" in row and "未标注平面图位置" in row
    row = page.split(f'data-position="{made["P3"].id}"')[1].split("</tr>")[0]
    assert 'data-covered="no"' in row and "CAM-FOV-D（" not in row
    assert ">60.0%<" in page and "视野扇形" in page  # the rate and its written formula
