"""Issue 17: the guard's check-in on the phone reads China time, not the server's UTC."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import unquote

from sqlalchemy import func, select

from anju.core.db import utcnow
from anju.core.kit.china_time import china_text
from anju.patrol.models import PatrolCheckin
from tests.patrol.test_patrol import _route


def test_check_in_message_shows_china_time(client, login, ids, web_login, session):
    _, points = _route(client, login, ids["A"])
    web_login("guard_chen")
    r = client.post(
        "/h5/patrol/scan",
        data={"code": points[0]["code"]},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    row = session.execute(select(PatrolCheckin).order_by(PatrolCheckin.id.desc()).limit(1)).scalar_one()
    location = unquote(r.headers["location"]).replace("+", " ")
    assert f"打卡成功 {china_text(row.at, '%H:%M')}" in location
    assert row.at.strftime("%H:%M") not in location  # UTC is eight hours off, all year


class TestQueuedCheckins:
    """Issue 17: a check-in queued offline keeps its scan time, a replay is recorded once, bad times are refused."""

    def test_queued_check_in_keeps_its_scan_time_and_shows_the_late_sync(self, client, login, ids, session):
        _, points = _route(client, login, ids["A"])
        scanned = utcnow() - timedelta(minutes=30)
        body = {"code": points[0]["code"], "scanned_at": scanned.isoformat(), "client_id": "phone-abc-0001"}
        first = client.post("/api/v1/patrol/checkins", json=body, headers=login("guard_chen"))
        assert first.status_code == 201, first.text
        assert abs(datetime.fromisoformat(first.json()["at"]) - scanned) < timedelta(seconds=1)
        assert first.json()["synced_at"] is not None  # arrived half an hour after the scan
        again = client.post("/api/v1/patrol/checkins", json=body, headers=login("guard_chen"))
        assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
        n = session.execute(
            select(func.count()).select_from(PatrolCheckin).where(PatrolCheckin.client_id == "phone-abc-0001")
        ).scalar_one()
        assert n == 1

    def test_scan_times_out_of_range_are_refused(self, client, login, ids):
        _, points = _route(client, login, ids["A"])
        for when in (utcnow() + timedelta(hours=1), utcnow() - timedelta(days=2)):
            body = {"code": points[0]["code"], "scanned_at": when.isoformat(), "client_id": "phone-abc-0002"}
            r = client.post("/api/v1/patrol/checkins", json=body, headers=login("guard_chen"))
            assert r.status_code == 422, r.text

    def test_a_code_of_another_compound_is_not_found(self, client, login, ids):
        _, points = _route(client, login, ids["B"], user="outsider_zhao")
        body = {"code": points[0]["code"], "scanned_at": utcnow().isoformat(), "client_id": "phone-abc-0003"}
        assert client.post("/api/v1/patrol/checkins", json=body, headers=login("guard_chen")).status_code == 404
