"""Issue 17: NFC check-in. A checkpoint's tag is registered in the console (its serial number as a phone reads it,
or the text on it); the phone's Web NFC reading checks in through the same idempotent queue as the QR scan."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from anju.core.db import utcnow
from anju.patrol.models import PatrolCheckin, PatrolCheckpoint
from anju.patrol.service import nfc_key
from tests.web.conftest import ORIGIN

API = "/api/v1/patrol/checkins"


@pytest.mark.db_agnostic
def test_nfc_key_has_one_spelling_per_serial_number():
    assert nfc_key("04:a2:01:7f") == nfc_key("04A2017F") == nfc_key(" 04-A2-01-7F ") == "04:A2:01:7F"
    assert nfc_key("04:a2:3b:c1:5d:80:01") == "04:A2:3B:C1:5D:80:01"
    assert nfc_key("巡更点-东门") == "巡更点-东门"  # a text record stays as written
    assert nfc_key("NFC-1-abc") == "NFC-1-abc"
    assert nfc_key("  ") is None and nfc_key(None) is None
    assert nfc_key("ABC") == "ABC"  # too short for a serial: text


def _demo_point(session, compound_id: int) -> PatrolCheckpoint:
    point = (
        session.execute(
            select(PatrolCheckpoint)
            .where(PatrolCheckpoint.compound_id == compound_id, PatrolCheckpoint.nfc_tag.is_not(None))
            .order_by(PatrolCheckpoint.id)
        )
        .scalars()
        .first()
    )
    assert point is not None and point.nfc_tag.isupper()
    return point


def test_web_nfc_serial_number_checks_in_at_the_demo_tag(client, login, ids, session):
    point = _demo_point(session, ids["A"])
    as_read = point.nfc_tag.lower()  # Web NFC's serialNumber: lower-case byte pairs with colons
    r = client.post(API, json={"nfc_tag": as_read}, headers=login("guard_chen"))
    assert r.status_code == 201, r.text
    assert r.json()["method"] == "nfc" and r.json()["checkpoint_id"] == point.id


def test_queued_nfc_checkin_replayed_twice_is_recorded_once_and_marked_late(client, login, ids, session):
    point = _demo_point(session, ids["A"])
    body = {
        "nfc_tag": point.nfc_tag,
        "client_id": "nfc-queue-0001",
        "scanned_at": (utcnow() - timedelta(hours=2)).isoformat(),
    }
    first = client.post(API, json=body, headers=login("guard_chen"))
    again = client.post(API, json=body, headers=login("guard_chen"))
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert first.json()["synced_at"] is not None  # late sync is visible
    n = session.execute(
        select(func.count()).select_from(PatrolCheckin).where(PatrolCheckin.client_id == "nfc-queue-0001")
    ).scalar_one()
    assert n == 1


def test_manager_registers_a_tag_in_the_console_and_the_guard_checks_in_with_it(client, web_login, login, ids, session):
    point = _demo_point(session, ids["A"])
    web_login("manager_wang")
    r = client.post(
        f"/console/patrol/checkpoints/{point.id}/nfc",
        data={"nfc_tag": "04 b7 9e 21 6a 51 80"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"], r.headers["location"]
    session.refresh(point)
    assert point.nfc_tag == "04:B7:9E:21:6A:51:80"
    assert 'value="04:B7:9E:21:6A:51:80"' in client.get("/console/patrol").text
    r = client.post(API, json={"nfc_tag": "04:b7:9e:21:6a:51:80"}, headers=login("guard_chen"))
    assert r.status_code == 201 and r.json()["checkpoint_id"] == point.id
    # the tag of another checkpoint: refused with a reason, nothing changed
    other = (
        session.execute(
            select(PatrolCheckpoint).where(PatrolCheckpoint.compound_id == ids["A"], PatrolCheckpoint.id != point.id)
        )
        .scalars()
        .first()
    )
    before = other.nfc_tag
    r = client.post(
        f"/console/patrol/checkpoints/{other.id}/nfc",
        data={"nfc_tag": "04B79E216A5180"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "err=" in r.headers["location"]
    session.refresh(other)
    assert other.nfc_tag == before


def test_guards_cannot_register_tags_and_other_compounds_tags_are_404(client, web_login, login, ids, session):
    point = _demo_point(session, ids["A"])
    web_login("guard_chen")
    r = client.post(
        f"/console/patrol/checkpoints/{point.id}/nfc",
        data={"nfc_tag": "04:00:00:00"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "err=" in r.headers.get("location", "") or r.status_code == 403
    session.refresh(point)
    assert point.nfc_tag != "04:00:00:00"
    # the manager of compound B scans A's tag: no hint that it exists
    r = client.post(API, json={"nfc_tag": point.nfc_tag}, headers=login("outsider_zhao"))
    assert r.status_code in (403, 404)


def test_scan_page_offers_nfc_next_to_the_camera(client, web_login):
    web_login("guard_chen")
    page = client.get("/h5/patrol/scan").text
    assert 'data-testid="scan-nfc"' in page and 'data-testid="scan-camera"' in page and 'name="nfc_tag"' in page
