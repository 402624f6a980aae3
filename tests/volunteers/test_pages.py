"""Volunteer pages (issue 18): staff post a patrol shift in China time; a resident registers, signs up, checks in
and sees it on H5 in Chinese (no machine keys)."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import utcnow
from anju.core.kit.china_time import to_china

ORIGIN = {"Origin": "http://testserver"}


def test_post_a_shift_register_sign_up_and_check_in(client, web_login, session, ids):
    web_login("manager_wang")
    start = to_china(utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    r = client.post(
        f"/console/volunteers/activities?compound_id={ids['A']}",
        data={
            "title": "邻里守望晚班",
            "kind": "patrol",
            "place": "南门至3号楼",
            "starts": start.strftime("%Y-%m-%dT%H:%M"),
            "ends": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "capacity": "3",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert r.status_code == 200 and "已发布" in r.text and "邻里守望晚班" in r.text
    assert start.strftime("%H:%M") in r.text  # shown in China time, as typed
    web_login("resident_li")
    r = client.post(
        "/h5/volunteers/register",
        data={"display_name": "李阿姨", "skills": "急救，消防"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert r.status_code == 200 and "已登记" in r.text and "急救, 消防" in r.text
    aid = int(r.text.split('data-activity="')[1].split('"')[0]) if "邻里守望晚班" in r.text else None
    assert aid is not None
    r = client.post(f"/h5/volunteers/activities/{aid}/sign-up", headers=ORIGIN, follow_redirects=True)
    assert "已报名" in r.text and "签到" in r.text
    assert "patrol" not in r.text.replace('value="patrol"', "")
