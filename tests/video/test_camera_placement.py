"""A camera's place and field of view on the site plan: its device's point, direction, angle of view and range,
set through the API and the camera page; bad values are 422 with a reason, another compound's camera 404."""

from __future__ import annotations

import pytest

from anju.devices.enums import DeviceType
from anju.devices.models import Device
from anju.registry.models import Compound
from anju.video.models import Camera

ORIGIN = {"Origin": "http://testserver"}
PLAN = {"width": 1000, "height": 500, "gates": [], "buildings": []}


@pytest.fixture
def placed(session, ids, client, login, camera_body):
    session.get(Compound, ids["A"]).site_plan = dict(PLAN)
    session.flush()
    r = client.post(
        "/api/v1/video/cameras", json={**camera_body, "heading_deg": 90, "range_m": 30}, headers=login("manager_wang")
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_the_manager_places_a_camera_and_sets_its_view(session, client, login, placed):
    assert (placed["heading_deg"], placed["fov_deg"], placed["range_m"]) == (90, 90, 30.0)
    r = client.patch(
        f"/api/v1/video/cameras/{placed['id']}",
        json={"plan_x": 1000, "plan_y": 0, "heading_deg": 359, "fov_deg": 360, "range_m": 12.5},
        headers=login("manager_wang"),
    )
    assert r.status_code == 200, r.text
    assert (r.json()["heading_deg"], r.json()["fov_deg"], r.json()["range_m"]) == (359, 360, 12.5)
    device = session.get(Device, placed["device_id"])
    session.refresh(device)
    assert (device.plan_x, device.plan_y) == (1000, 0)  # the plan's corner is on the plan


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fov_deg": 0}, "fov_deg"),
        ({"fov_deg": 361}, "fov_deg"),
        ({"fov_deg": None}, "fov_deg"),
        ({"heading_deg": 360}, "heading_deg"),
        ({"heading_deg": -1}, "heading_deg"),
        ({"range_m": -0.5}, "range_m"),
        ({"plan_x": 1001, "plan_y": 10}, "plan_x"),
        ({"plan_x": 10, "plan_y": -1}, "plan_y"),
        ({"plan_x": 10, "plan_y": None}, "plan_y"),
    ],
)
def test_bad_placement_is_refused_with_a_reason(session, client, login, placed, body, field):
    r = client.patch(f"/api/v1/video/cameras/{placed['id']}", json=body, headers=login("manager_wang"))
    assert r.status_code == 422, r.text
    assert field in r.text
    cam = session.get(Camera, placed["id"])
    session.refresh(cam)
    assert (cam.fov_deg, cam.heading_deg, cam.range_m) == (90, 90, 30.0)  # nothing changed


def test_a_camera_registered_off_the_plan_is_refused(session, ids, client, login, camera_body):
    session.get(Compound, ids["A"]).site_plan = dict(PLAN)
    session.flush()
    r = client.post("/api/v1/video/cameras", json={**camera_body, "plan_y": 900}, headers=login("manager_wang"))
    assert r.status_code == 422 and "off the site plan" in r.text
    r = client.post("/api/v1/video/cameras", json={**camera_body, "range_m": -1}, headers=login("manager_wang"))
    assert r.status_code == 422 and "range_m" in r.text


def test_another_compounds_camera_is_not_found(session, ids, client, login):
    d = Device(compound_id=ids["B"], device_key="CAM-B-FOV", name="B", device_type=DeviceType.camera, secret_enc="x")
    session.add(d)
    session.flush()
    cam = Camera(compound_id=ids["B"], device_id=d.id, name="B", url_enc="x", fov_deg=90)
    session.add(cam)
    session.flush()
    r = client.patch(f"/api/v1/video/cameras/{cam.id}", json={"range_m": 10}, headers=login("manager_wang"))
    assert r.status_code == 404


def test_the_camera_page_sets_the_place_and_view(session, client, persona, placed):
    persona("manager_wang").web(client)
    url = f"/console/video/cameras/{placed['id']}"
    page = client.get(url).text
    assert 'data-testid="placement-form"' in page and "1 单位 = 0.5 米" in page
    r = client.post(
        f"{url}/placement",
        data={"plan_x": "200", "plan_y": "300", "heading_deg": "45", "fov_deg": "60", "range_m": "25"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "err=" not in r.headers["location"]
    cam = session.get(Camera, placed["id"])
    session.refresh(cam)
    assert (cam.heading_deg, cam.fov_deg, cam.range_m) == (45, 60, 25.0)
    for bad in ({"fov_deg": "400"}, {"plan_x": "5000", "plan_y": "1"}, {"range_m": "-3"}):
        r = client.post(f"{url}/placement", data={"fov_deg": "60", **bad}, headers=ORIGIN, follow_redirects=False)
        assert "err=" in r.headers["location"], bad
    session.refresh(cam)
    assert (cam.fov_deg, cam.range_m) == (60, 25.0)
