"""Safety committee and safety education pages (issue 18): staff record a meeting in China time and publish its
decision as a notice; publish a campaign for everyone; a resident reads it on H5 and answers the quiz once; the
console shows coverage per audience in Chinese (no machine keys)."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import utcnow
from anju.core.kit.china_time import to_china

ORIGIN = {"Origin": "http://testserver"}


def test_committee_meeting_decision_and_a_lesson_read_and_quizzed_once(client, web_login, ids):
    web_login("manager_wang")
    q = f"?compound_id={ids['A']}"
    r = client.post(
        f"/console/safety-committee/members{q}",
        data={"name": "孙主任", "role": "chair"},
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "已添加委员" in r.text and "主任" in r.text and "vice_chair" not in r.text.replace('value="vice_chair"', "")
    member = r.text.split('name="attendees" value="')[1].split('"')[0]
    held = to_china(utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    r = client.post(
        f"/console/safety-committee/meetings{q}",
        data={
            "title": "安全例会",
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "attendees": member,
            "minutes": "讨论楼道堆物",
            "decisions": "清理楼道堆物\n",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "会议已记录" in r.text and held.strftime("%H:%M") in r.text and "清理楼道堆物" in r.text
    decision = r.text.split("/console/safety-committee/decisions/")[1].split("/")[0]
    r = client.post(f"/console/safety-committee/decisions/{decision}/publish{q}", headers=ORIGIN, follow_redirects=True)
    assert "决议已作为通知发布" in r.text
    r = client.post(f"/console/safety-committee/decisions/{decision}/publish{q}", headers=ORIGIN, follow_redirects=True)
    assert "已发布为通知" in r.text  # the second time: the reason, not a second notice

    r = client.post(
        f"/console/safety-education/campaigns{q}",
        data={
            "audience": "everyone",
            "title": "防范电信诈骗",
            "body": "不轻信、不透露、不转账。",
            "q0": "陌生来电要求转账，应该？",
            "q0o0": "转账",
            "q0o1": "挂断并拨打96110",
            "q0a": "1",
        },
        headers=ORIGIN,
        follow_redirects=True,
    )
    assert "已发布" in r.text and "全体居民" in r.text
    web_login("resident_li")
    r = client.get("/h5/education")
    assert "防范电信诈骗" in r.text and "未读" in r.text
    lesson = r.text.split('data-lesson="')[1].split('"')[0]
    r = client.get(f"/h5/education/{lesson}")
    assert "不轻信" in r.text and "quiz-form" in r.text
    r = client.post(f"/h5/education/{lesson}/quiz", data={"a0": "1"}, headers=ORIGIN, follow_redirects=True)
    assert "得分 1/1" in r.text
    r = client.post(f"/h5/education/{lesson}/quiz", data={"a0": "0"}, headers=ORIGIN, follow_redirects=True)
    assert "只能作答一次" in r.text and "得分 1/1" in r.text
    web_login("manager_wang")
    r = client.get(f"/console/safety-education{q}")
    row = r.text.split('data-audience="everyone"')[1].split("</tr>")[0]
    assert "100.0%" in row  # the one answer was right
    assert "everyone" not in r.text.replace('data-audience="everyone"', "").replace('value="everyone"', "")
