"""Issue 17: the guard's check-in on the phone reads China time, not the server's UTC."""

from __future__ import annotations

from urllib.parse import unquote

from sqlalchemy import select

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
