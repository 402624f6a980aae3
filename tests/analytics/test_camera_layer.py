"""The 大屏's cameras layer: each camera at its point by state, with its field-of-view sector (range by the plan's
scale); a camera without a point counts as unplaced."""

from __future__ import annotations

from anju.analytics.picture import command_picture
from anju.core.db import utcnow
from anju.devices.enums import DeviceStatus
from anju.devices.models import DeviceState
from anju.registry.models import Compound

PLAN = {"width": 1000, "height": 500, "gates": [], "buildings": []}


def register(client, login, compound_id, key, **place) -> int:
    body = {
        "compound_id": compound_id,
        "device_key": key,
        "name": key,
        "url": "rtsp://admin:pw@10.0.0.9:554/ch1",
        "signage_installed": True,
        **place,
    }
    r = client.post("/api/v1/video/cameras", json=body, headers=login("manager_wang"))
    assert r.status_code == 201, r.text
    return int(r.json()["device_id"])


def test_the_cameras_layer_draws_each_placed_camera_and_its_sector(session, client, login, persona, ids):
    a = ids["A"]
    session.get(Compound, a).site_plan = dict(PLAN)
    session.flush()
    east = register(client, login, a, "CAM-L-E", plan_x=100, plan_y=100, heading_deg=90, fov_deg=90, range_m=50)
    register(client, login, a, "CAM-L-D", plan_x=300, plan_y=200, fov_deg=360, range_m=5)  # never heard from
    register(client, login, a, "CAM-L-U", fov_deg=90)  # no point on the plan
    session.add(DeviceState(device_id=east, compound_id=a, status=DeviceStatus.online))
    session.flush()
    pic = command_picture(session, who=persona("manager_wang").who, compound_id=a, now=utcnow())
    layer = next(x for x in pic["layers"] if x.key == "cameras")
    assert layer.counts == {"online": 1, "offline": 2} and layer.unplaced == 1
    assert sorted((m.x, m.y, m.state) for m in layer.markers) == [
        (100, 100, "camera-online"),
        (300, 200, "camera-offline"),
    ]
    assert layer.sectors == [
        ("camera-online", "M 100.0 100.0 L 170.7 29.3 A 100.0 100.0 0 0 1 170.7 170.7 Z"),  # 50 m = 100 units
        ("camera-offline", "M 290.0 200.0 A 10.0 10.0 0 1 1 310.0 200.0 A 10.0 10.0 0 1 1 290.0 200.0 Z"),
    ]
    persona("manager_wang").web(client)
    html = client.get(f"/screen?compound_id={a}").text
    assert 'data-layer="cameras"' in html and html.count('data-testid="camera-fov"') == 2
