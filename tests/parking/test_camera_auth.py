"""Lane cameras authenticate as devices (the devices domain's signed intake credentials), not with a guard's login;
the guard's manual captures keep the parking.lane permission (issue 13 item 3)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from anju.devices.enums import DeviceType
from anju.devices.protocol import sign_http
from anju.parking.enums import LaneDirection
from anju.parking.models import LaneEvent
from anju.parking.schemas import LaneCreate
from anju.parking.service import parking_service
from tests.devices.helpers import make_device


def camera_lane(session, park, ids):
    cam_id, key, secret = make_device(session, ids["A"], DeviceType.camera)
    lane = parking_service.add_lane(
        session,
        by=park.manager,
        data=LaneCreate(
            car_park_id=park.cp.id,
            name="北门入口",
            direction=LaneDirection.entry,
            barrier_device_id=park.gate_id,
            camera_device_id=cam_id,
        ),
    )
    return lane, key, secret


def post(client, lane_id, body: bytes, headers):
    return client.post(
        f"/api/v1/parking/lanes/{lane_id}/camera-captures",
        content=body,
        headers={"content-type": "application/json", **headers},
    )


def test_a_signed_capture_from_the_lanes_own_camera_is_decided(client, session, park, ids):
    lane, key, secret = camera_lane(session, park, ids)
    body = json.dumps({"event_id": "cam-1", "plate": park.li_plate}).encode()
    r = post(client, lane.id, body, {"X-Device-Key": key, "X-Device-Signature": sign_http(secret, body)})
    assert r.status_code == 200, r.text
    assert r.json()["event"]["decision"] == "open" and "欢迎回家" in r.json()["display"]
    again = post(client, lane.id, body, {"X-Device-Key": key, "X-Device-Secret": secret})  # a retry, secret header
    assert again.json()["event"]["id"] == r.json()["event"]["id"]
    assert session.scalar(select(func.count(LaneEvent.id)).where(LaneEvent.event_id == "cam-1")) == 1


def test_a_bad_signature_an_unknown_device_or_no_credentials_are_401_and_record_nothing(client, session, park, ids):
    lane, key, secret = camera_lane(session, park, ids)
    body = json.dumps({"event_id": "cam-2", "plate": park.li_plate}).encode()
    for headers in (
        {"X-Device-Key": key, "X-Device-Signature": sign_http(secret, body + b" ")},
        {"X-Device-Key": "no-such-camera", "X-Device-Secret": secret},
        {"X-Device-Key": key},
        {},
    ):
        r = post(client, lane.id, body, headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["message"]["zh"]
    assert session.scalar(select(func.count(LaneEvent.id)).where(LaneEvent.event_id == "cam-2")) == 0


def test_another_devices_lane_is_404_and_a_bad_body_is_422(client, session, park, ids):
    lane, key, secret = camera_lane(session, park, ids)
    body = json.dumps({"event_id": "cam-3", "plate": park.li_plate}).encode()
    headers = {"X-Device-Key": key, "X-Device-Signature": sign_http(secret, body)}
    assert post(client, park.entry.id, body, headers).status_code == 404  # the south lane has another camera
    bad = json.dumps({"event_id": "cam-4", "plate": "ABC123"}).encode()
    r = post(client, lane.id, bad, {"X-Device-Key": key, "X-Device-Signature": sign_http(secret, bad)})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "plate"
    junk = b"{not json"
    r = post(client, lane.id, junk, {"X-Device-Key": key, "X-Device-Signature": sign_http(secret, junk)})
    assert r.status_code == 422


def test_a_guard_cannot_post_as_a_camera_but_keeps_the_manual_path(client, session, park, ids, persona):
    lane, _key, _secret = camera_lane(session, park, ids)
    body = json.dumps({"event_id": "cam-5", "plate": park.li_plate}).encode()
    assert post(client, lane.id, body, persona("guard_chen").headers).status_code == 401
    r = client.post(
        f"/api/v1/parking/lanes/{lane.id}/captures",
        json={"event_id": "manual-1", "plate": park.li_plate},
        headers=persona("guard_chen").headers,
    )
    assert r.status_code == 200 and r.json()["event"]["decision"] == "open"
