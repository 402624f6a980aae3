"""Capture photos kept with each decision (checked by content, within the size limit) and shown only masked
(R-A3: faces and other cars' plates pixelated; the decided plate stays readable)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from anju.parking.models import LaneEvent, LanePhoto

PLATES = Path(__file__).resolve().parents[3] / "shared" / "data" / "plates"


def image(name: str) -> bytes:
    p = PLATES / name
    if not p.exists():
        if os.environ.get("ANJU_REQUIRE_SERVICES") == "1":
            pytest.fail(f"shared plate images missing at {PLATES}")
        pytest.skip("shared plate images not present")
    return p.read_bytes()


def post(client, persona, park, body):
    return client.post(
        f"/api/v1/parking/lanes/{park.entry.id}/captures", json=body, headers=persona("guard_chen").headers
    )


def region(img, box):
    x0, y0, x1, y1 = box
    return img[y0:y1, x0:x1].astype(np.int16)


def test_r_a3_the_photo_is_kept_and_shown_with_other_plates_masked(client, persona, park, session):
    raw = image("ds_24.jpg")  # two cars' plates in one picture
    r = post(client, persona, park, {"event_id": "p1", "image_b64": base64.b64encode(raw).decode()})
    assert r.status_code == 200, r.text
    ev_id = r.json()["event"]["id"]
    photo = session.execute(select(LanePhoto).where(LanePhoto.lane_event_id == ev_id)).scalar_one()
    assert photo.content_type == "image/jpeg" and photo.size == len(raw) and photo.data == raw
    assert photo.keep_box and photo.other_boxes and len(photo.other_boxes) == 1

    shown = client.get(f"/api/v1/parking/lane-events/{ev_id}/photo", headers=persona("guard_chen").headers)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    original = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    masked = cv2.imdecode(np.frombuffer(shown.content, np.uint8), cv2.IMREAD_COLOR)
    assert masked.shape == original.shape
    other, keep = photo.other_boxes[0], photo.keep_box
    # The other car's plate is a mosaic: far from the original there ...
    assert np.abs(region(masked, other) - region(original, other)).mean() > 8
    # ... while the decided plate is only re-encoded.
    assert np.abs(region(masked, keep) - region(original, keep)).mean() < 6


def test_a_capture_without_a_photo_has_none_to_show_and_residents_may_not_look(client, persona, park, session):
    r = post(client, persona, park, {"event_id": "p2", "plate": "皖AP6V68"})
    ev_id = r.json()["event"]["id"]
    assert (
        client.get(f"/api/v1/parking/lane-events/{ev_id}/photo", headers=persona("guard_chen").headers).status_code
        == 404
    )
    raw = image("ds_7.jpg")
    r = post(client, persona, park, {"event_id": "p3", "image_b64": base64.b64encode(raw).decode()})
    ev_id = r.json()["event"]["id"]
    assert (
        client.get(f"/api/v1/parking/lane-events/{ev_id}/photo", headers=persona("guard_chen").headers).status_code
        == 200
    )
    # Lane photos are for the lane desk, not for residents.
    assert (
        client.get(f"/api/v1/parking/lane-events/{ev_id}/photo", headers=persona("resident_li").headers).status_code
        == 403
    )


def test_a_refused_image_leaves_no_photo_and_no_decision(client, persona, park, session):
    gif = base64.b64encode(
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00,"
        b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    ).decode()
    r = post(client, persona, park, {"event_id": "p4", "image_b64": gif})
    assert r.status_code == 422
    assert session.scalar(select(func.count(LanePhoto.id))) == 0
    assert session.scalar(select(func.count(LaneEvent.id)).where(LaneEvent.event_id == "p4")) == 0
