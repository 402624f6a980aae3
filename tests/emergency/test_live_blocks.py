"""Live blocked exits (issue 16): an exit or assembly point bound to a source that can report it obstructed (a
door sensor, a camera's left-object zone); while the source's alarm is open in the alarm centre the evacuation
estimate treats the exit as blocked and says which alarm blocked it; once the alarm is closed the exit counts
again. The alarms are raised through the real paths: a door sensor's telemetry through device intake, a camera's
detection through the video service."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.emergency.models import BuildingFloorPlan
from anju.registry.models import Building
from anju.video.detectors.base import Detection
from anju.video.models import Camera
from anju.video.service import video_service
from tests.devices.helpers import make_device, msg, push

API = "/api/v1/emergency"


def _buildings(session, compound_id):
    return list(
        session.execute(select(Building).where(Building.compound_id == compound_id).order_by(Building.id)).scalars()
    )


def _slab(client, h, building_id, people=6):
    body = {"template": "slab", "people_per_floor": people, "elderly_percent": 0}
    r = client.put(f"{API}/buildings/{building_id}/floor-plan", json=body, headers=h)
    assert r.status_code == 200, r.text


def _door_held_open(client, session, compound_id, building_id):
    """A fire-door sensor reports the door open for more than five minutes (device time): door_held_open."""
    dev_id, key, secret = make_device(session, compound_id, DeviceType.door_magnet, building_id=building_id)
    t0 = utcnow() - timedelta(seconds=400)
    r = push(client, key, secret, [msg({"open": True}, at=t0), msg({"open": True}, at=t0 + timedelta(seconds=310))])
    assert r.status_code in (200, 202), r.text
    alarm = session.execute(select(Alarm).where(Alarm.source == f"device:{dev_id}")).scalars().one()
    assert alarm.kind == "door_held_open"
    return dev_id, alarm


def _camera(client, h, compound_id, zones):
    body = {
        "compound_id": compound_id,
        "device_key": "CAM-EXIT-1",
        "name": "1号楼西梯口",
        "url": "rtsp://admin:pw@10.1.2.9:554/1",
        "location": "1号楼一层",
        "plan_x": 100,
        "plan_y": 100,
        "public_area": True,
        "retention_days": 30,
        "signage_installed": True,
        "analytics": [
            {"detector": "left_object", "zones": [{"name": zones[0], "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}]},
            {"detector": "intrusion", "zones": [{"name": zones[1], "points": [[0, 0], [1, 0], [1, 1]]}]},
        ],
    }
    r = client.post("/api/v1/video/cameras", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert client.patch(f"/api/v1/video/cameras/{r.json()['id']}", json={"active": True}, headers=h).status_code == 200
    return r.json()


def _left_object(session, cam_id, zone):
    cam = session.get(Camera, cam_id)
    now = utcnow()
    frames = [np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(4)]
    rec = video_service.record_detection(
        session,
        camera=cam,
        detection=Detection("left_object", 3.0, 1.0, 0.9, (10, 10, 40, 60), zone=zone, key=f"lo:{zone}:1"),
        event_key=f"lo:{zone}:1",
        started_at=now - timedelta(seconds=60),
        detected_at=now,
        snapshot=frames[0],
        clip=frames,
        clip_fps=5.0,
        clip_start=now - timedelta(seconds=5),
        now=now,
    )
    return session.get(Alarm, rec.event.alarm_id)


class TestBinding:
    def test_bad_bindings_are_refused_with_the_reason(self, client, login, session, ids):
        h = login("manager_wang")
        b = _buildings(session, ids["A"])[0]
        _slab(client, h, b.id)
        cam = _camera(client, h, ids["A"], ["西梯口", "屋顶"])
        smoke, _k, _s = make_device(session, ids["A"], DeviceType.smoke_detector)
        base = {"compound_id": ids["A"], "building_id": b.id, "exit_key": "west"}
        cases = [
            ({**base, "exit_key": "north", "camera_id": cam["id"], "zone": "西梯口"}, 422, "floor plan"),
            ({**base, "camera_id": cam["id"], "zone": "屋顶"}, 422, "left-object or fire-lane zone"),
            ({**base, "device_id": smoke}, 422, "door sensor"),
            ({**base, "camera_id": cam["id"], "zone": "西梯口", "device_id": smoke}, 422, "either"),
            ({"compound_id": ids["A"], "camera_id": cam["id"], "zone": "西梯口"}, 422, "either"),
            ({**base, "compound_id": ids["B"], "camera_id": cam["id"], "zone": "西梯口"}, 404, None),
        ]
        for body, status, why in cases:
            r = client.post(f"{API}/exit-sources", json=body, headers=h)
            assert r.status_code == status, (body, r.text)
            if why:
                assert why in r.json()["error"]["message"]["en"]
        ok = {**base, "camera_id": cam["id"], "zone": "西梯口"}
        assert client.post(f"{API}/exit-sources", json=ok, headers=h).status_code == 201
        assert client.post(f"{API}/exit-sources", json=ok, headers=h).status_code == 409
        assert client.post(f"{API}/exit-sources", json=ok, headers=login("guard_chen")).status_code == 403
        listed = client.get(f"{API}/exit-sources", params={"compound_id": ids["A"]}, headers=h).json()
        assert [(s["target_key"], s["source_key"]) for s in listed] == [
            (f"exit:{b.id}:west", f"video:{cam['id']}:西梯口")
        ]
        assert client.get(f"{API}/exit-sources", params={"compound_id": ids["B"]}, headers=h).json() == []
        other = _buildings(session, ids["B"])[0]
        r = client.post(f"{API}/exit-sources", json={**ok, "building_id": other.id}, headers=h)
        assert r.status_code == 404


class TestLiveBlocks:
    def test_an_open_door_alarm_blocks_its_exit_until_the_alarm_is_resolved(self, client, login, session, ids):
        h = login("manager_wang")
        b = _buildings(session, ids["A"])[0]
        _slab(client, h, b.id)
        dev_id, alarm = _door_held_open(client, session, ids["A"], b.id)
        bind = {"compound_id": ids["A"], "building_id": b.id, "exit_key": "east", "device_id": dev_id}
        assert client.post(f"{API}/exit-sources", json=bind, headers=h).status_code == 201

        blocked = client.post(f"{API}/buildings/{b.id}/evacuation", json={}, headers=h).json()
        assert blocked["blocked"] == ["east"]
        assert [e["key"] for e in blocked["result"]["exits"]] == ["west"]
        assert blocked["result"]["live"] == [
            {
                "exit": "east",
                "exit_name": "东楼梯",
                "alarm_id": alarm.id,
                "alarm_title": alarm.title,
                "alarm_kind": "door_held_open",
            }
        ]
        live = client.get(f"{API}/exit-blocks", params={"compound_id": ids["A"]}, headers=h).json()
        assert [(x["alarm_id"], x["target_key"]) for x in live] == [(alarm.id, f"exit:{b.id}:east")]
        assert live[0]["target_name"].endswith("东楼梯") and live[0]["source_cleared"] is False

        # The door reports closed: the source is normal again, but the exit counts only once a person closed it.
        r = client.post(
            "/api/v1/alarms/" + str(alarm.id) + "/resolve",
            json={"reason": "已清理防火门前杂物并关闭", "outcome": "handled"},
            headers=h,
        )
        assert r.status_code == 200, r.text
        assert client.get(f"{API}/exit-blocks", params={"compound_id": ids["A"]}, headers=h).json() == []
        free = client.post(f"{API}/buildings/{b.id}/evacuation", json={}, headers=h).json()
        assert free["blocked"] == [] and free["result"]["live"] == []
        assert free["seconds"] < blocked["seconds"]

    def test_a_what_if_adds_to_the_live_blocks_and_all_blocked_is_refused(self, client, login, session, ids):
        h = login("manager_wang")
        b = _buildings(session, ids["A"])[0]
        _slab(client, h, b.id)
        dev_id, _alarm = _door_held_open(client, session, ids["A"], b.id)
        bind = {"compound_id": ids["A"], "building_id": b.id, "exit_key": "east", "device_id": dev_id}
        assert client.post(f"{API}/exit-sources", json=bind, headers=h).status_code == 201
        r = client.post(f"{API}/buildings/{b.id}/evacuation", json={"blocked": ["west"]}, headers=h)
        assert r.status_code == 422 and "every exit" in r.json()["error"]["message"]["en"]

    def test_a_left_object_zone_blocks_an_assembly_point_in_the_compound_estimate(self, client, login, session, ids):
        h = login("manager_wang")
        buildings = _buildings(session, ids["A"])
        for b in buildings:
            session.add(
                BuildingFloorPlan(
                    compound_id=ids["A"], building_id=b.id, template="walkup", people_per_floor=2, elderly_percent=0
                )
            )
        session.commit()
        south = client.post(
            f"{API}/assembly-points",
            json={"compound_id": ids["A"], "name": "南广场", "plan_x": 150, "plan_y": 20, "capacity": 1000},
            headers=h,
        ).json()
        east = client.post(
            f"{API}/assembly-points",
            json={"compound_id": ids["A"], "name": "东草坪", "plan_x": 900, "plan_y": 200, "capacity": 1000},
            headers=h,
        ).json()
        cam = _camera(client, h, ids["A"], ["南广场入口", "屋顶"])
        bind = {"compound_id": ids["A"], "assembly_point_id": south["id"], "camera_id": cam["id"], "zone": "南广场入口"}
        assert client.post(f"{API}/exit-sources", json=bind, headers=h).status_code == 201

        before = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h).json()
        assert before["blocked_points"] == [] and before["live_blocks"] == []
        assert any(r["assembly_point_id"] == south["id"] for r in before["routes"])

        alarm = _left_object(session, cam["id"], "南广场入口")
        assert alarm.kind == "left_object" and alarm.status == "new"
        # A detection in another zone of the same camera blocks nothing.
        _left_object(session, cam["id"], "别处")
        during = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h).json()
        assert during["blocked_points"] == [south["id"]]
        assert {r["assembly_point_id"] for r in during["routes"]} == {east["id"]}
        assert [(x["alarm_id"], x["target_name"]) for x in during["live_blocks"]] == [(alarm.id, "南广场")]
        assert during["seconds"] >= before["seconds"]

        r = client.post(f"/api/v1/alarms/{alarm.id}/false-alarm", json={"reason": "是施工围挡，已报备"}, headers=h)
        assert r.status_code == 200, r.text
        after = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h).json()
        assert after["blocked_points"] == [] and after["live_blocks"] == []
        assert any(r["assembly_point_id"] == south["id"] for r in after["routes"])

    def test_the_compound_estimate_uses_a_run_with_the_live_blocked_exit(self, client, login, session, ids):
        h = login("manager_wang")
        buildings = _buildings(session, ids["A"])
        for b in buildings:
            session.add(
                BuildingFloorPlan(
                    compound_id=ids["A"], building_id=b.id, template="slab", people_per_floor=4, elderly_percent=0
                )
            )
        session.commit()
        client.post(
            f"{API}/assembly-points",
            json={"compound_id": ids["A"], "name": "东草坪", "plan_x": 900, "plan_y": 200, "capacity": 5000},
            headers=h,
        )
        first = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h).json()
        b = buildings[0]
        dev_id, alarm = _door_held_open(client, session, ids["A"], b.id)
        bind = {"compound_id": ids["A"], "building_id": b.id, "exit_key": "west", "device_id": dev_id}
        assert client.post(f"{API}/exit-sources", json=bind, headers=h).status_code == 201
        r = client.post(f"{API}/evacuation/compound", params={"compound_id": ids["A"]}, headers=h).json()
        mine = next(x for x in r["routes"] if x["building_id"] == b.id)
        was = next(x for x in first["routes"] if x["building_id"] == b.id)
        assert mine["blocked_exits"] == ["west"] and mine["building_seconds"] > was["building_seconds"]
        assert [x["alarm_id"] for x in r["live_blocks"]] == [alarm.id]
        others = [x for x in r["routes"] if x["building_id"] != b.id]
        assert all(x["blocked_exits"] == [] for x in others)


def test_the_page_binds_a_door_sensor_and_shows_which_alarm_blocked_which_exit(client, login, session, ids, web_login):
    h = login("manager_wang")
    b = _buildings(session, ids["A"])[0]
    _slab(client, h, b.id)
    dev_id, alarm = _door_held_open(client, session, ids["A"], b.id)
    session.commit()
    web_login("manager_wang")
    origin = {"Origin": "http://testserver"}
    page = f"/console/emergency/evacuation?building_id={b.id}"
    text = client.get(page).text
    assert f'value="device:{dev_id}"' in text and f'value="exit:{b.id}:east"' in text
    assert "目前没有出口因告警被堵塞" in text
    form = {"target": f"exit:{b.id}:nowhere", "source": f"device:{dev_id}", "back_building": str(b.id)}
    r = client.post("/console/emergency/evacuation/exit-sources", data=form, headers=origin, follow_redirects=False)
    assert r.status_code == 303 and "err=" in r.headers["location"]
    form["target"] = f"exit:{b.id}:east"
    r = client.post("/console/emergency/evacuation/exit-sources", data=form, headers=origin, follow_redirects=False)
    assert r.status_code == 303 and "err=" not in r.headers["location"], r.headers["location"]
    text = client.get(page).text
    assert f"#{alarm.id}" in text and "东楼梯" in text and "告警堵塞" in text  # the what-if shows it shut
    r = client.post(f"/console/emergency/evacuation/{b.id}/run", data={}, headers=origin, follow_redirects=False)
    assert r.status_code == 303
    text = client.get(r.headers["location"]).text
    assert f"东楼梯：被告警 #{alarm.id}" in text
    r = client.post(
        f"/api/v1/alarms/{alarm.id}/resolve", json={"reason": "防火门已关闭", "outcome": "handled"}, headers=h
    )
    assert r.status_code == 200
    assert "目前没有出口因告警被堵塞" in client.get(page).text


def test_an_activated_plan_estimates_its_building_without_the_blocked_exit(client, login, session, ids, web_login):
    from tests.emergency.test_emergency import plan_body

    h = login("manager_wang")
    b = _buildings(session, ids["A"])[0]
    _slab(client, h, b.id)
    dev_id, alarm = _door_held_open(client, session, ids["A"], b.id)
    bind = {"compound_id": ids["A"], "building_id": b.id, "exit_key": "west", "device_id": dev_id}
    assert client.post(f"{API}/exit-sources", json=bind, headers=h).status_code == 201
    plan = client.post(f"{API}/plans", json=plan_body(ids["A"]), headers=h).json()
    r = client.post(f"{API}/plans/{plan['id']}/activate", json={"building_id": b.id, "exercise": True}, headers=h)
    assert r.status_code == 201, r.text
    incident = r.json()
    run = client.get(f"{API}/buildings/{b.id}/evacuation", headers=h).json()[0]
    assert run["incident_id"] == incident["id"] and run["blocked"] == ["west"]
    assert incident["evacuation_seconds"] == run["seconds"]
    session.commit()
    web_login("manager_wang")
    text = client.get(f"/console/emergency/incidents/{incident['id']}").text
    assert f"西楼梯：被告警 #{alarm.id}" in text
