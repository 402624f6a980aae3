"""Safety-education event pages (安全小课堂, issue 18 item 6): staff post an event in China time on the console; a
resident books it on H5 and sees her check-in code and QR; staff check her in by the code; a bad form comes back with
its reason; the console shows attendance per audience in Chinese (no machine keys)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from anju.core.db import utcnow
from anju.core.kit.china_time import to_china
from anju.volunteers.models import EducationBooking, EducationEvent

ORIGIN = {"Origin": "http://testserver"}


def _local(at):
    return to_china(at).strftime("%Y-%m-%dT%H:%M")


def test_post_an_event_book_it_on_h5_and_check_in_by_code(client, web_login, session, ids):
    web_login("manager_wang")
    q = f"?compound_id={ids['A']}"
    start = utcnow() + timedelta(minutes=30)  # check-in opens an hour before: staff can check her in now
    form = {
        "title": "老年人防诈骗小课堂",
        "audience": "everyone",
        "place": "社区活动室",
        "starts_at": _local(start),
        "ends_at": _local(start + timedelta(hours=1)),
        "booking_deadline": "",
        "capacity": "10",
    }
    bad = client.post(
        f"/console/safety-education/events{q}",
        data={**form, "ends_at": _local(start - timedelta(hours=1))},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "结束时间必须晚于开始时间" in bad.text
    zero = client.post(
        f"/console/safety-education/events{q}", data={**form, "capacity": "0"}, headers=ORIGIN, follow_redirects=True
    )
    assert "名额至少为 1" in zero.text
    r = client.post(f"/console/safety-education/events{q}", data=form, headers=ORIGIN, follow_redirects=True)
    assert "活动已发布" in r.text and "老年人防诈骗小课堂" in r.text and to_china(start).strftime("%H:%M") in r.text
    e = session.execute(select(EducationEvent).where(EducationEvent.title == "老年人防诈骗小课堂")).scalar_one()
    assert e.booking_deadline == e.starts_at

    web_login("resident_li")
    h5 = client.get("/h5/education")
    assert h5.status_code == 200 and "安全小课堂" in h5.text and f'data-event="{e.id}"' in h5.text
    booked = client.post(f"/h5/education/events/{e.id}/book", headers=ORIGIN, follow_redirects=True)
    assert "报名成功" in booked.text and 'data-testid="edu-qr"' in booked.text and "<svg" in booked.text
    code = re.search(r'data-testid="edu-code">(\d{6})<', booked.text).group(1)
    again = client.post(f"/h5/education/events/{e.id}/book", headers=ORIGIN, follow_redirects=True)
    assert code in again.text
    assert len(session.execute(select(EducationBooking).where(EducationBooking.event_id == e.id)).all()) == 1

    web_login("manager_wang")
    page = client.get(f"/console/safety-education/events/{e.id}{q}")
    assert "报名 1/10 人，已到场 0 人" in page.text
    wrong = client.post(
        f"/console/safety-education/events/{e.id}/check-in{q}",
        data={"code": f"anju-edu:{e.id + 1}:{code}"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "该签到码属于其他活动" in wrong.text
    done = client.post(
        f"/console/safety-education/events/{e.id}/check-in{q}",
        data={"code": f"anju-edu:{e.id}:{code}"},  # as a scanner types the resident's QR
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "已签到" in done.text and "已到场 1 人" in done.text
    twice = client.post(
        f"/console/safety-education/events/{e.id}/check-in{q}",
        data={"code": code},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "该居民已签到" in twice.text
    listing = client.get(f"/console/safety-education/events{q}")
    assert "出勤情况" in listing.text and "全体居民" in listing.text and "everyone</td>" not in listing.text

    web_login("resident_li")
    assert "已签到" in client.get("/h5/education").text
