"""消息中心: the in-app inbox on the console and the phone. Domains send inbox messages (an emergency plan proposed
for a critical alarm, a care visit to make); people read them here, and opening one marks it read and goes to the
page it names."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from anju.notify.models import Notification
from anju.notify.service import notify_service
from anju.web.notify_pages import page_of
from tests.web.conftest import ORIGIN


def _unread(html: str) -> int:
    m = re.search(r'data-testid="messages-unread">(\d+)<', html)
    return int(m.group(1)) if m else 0


def _send(session, persona, username: str, compound_id: int, **kw) -> int:
    notify_service.inbox(
        session,
        user_ids=[persona(username).user_id],
        compound_id=compound_id,
        category=kw.pop("category", "emergency_proposal"),
        title=kw.pop("title", "【建议启动预案】火灾应急预案"),
        body=kw.pop(
            "body", "3号楼 烟感报警。请确认后启动《火灾应急预案》（2 级响应）：/console/emergency?alarm_id=7&plan_id=3"
        ),
        **kw,
    )
    session.flush()
    return session.execute(select(Notification.id).order_by(Notification.id.desc()).limit(1)).scalar_one()


def test_a_manager_reads_a_plan_proposal_and_opening_it_goes_to_the_activation(client, session, persona, ids):
    nid = _send(session, persona, "manager_wang", ids["A"])
    persona("manager_wang").web(client)
    before = _unread(client.get("/console/workorders").text)  # any console page: the top bar counts my unread
    assert before >= 1
    listing = client.get("/console/messages").text
    assert "【建议启动预案】火灾应急预案" in listing and "建议启动预案</span>" in listing  # the kind as people read it
    assert "emergency_proposal" not in listing  # never the machine key
    r = client.post(f"/console/messages/{nid}/open", headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/emergency?alarm_id=7&plan_id=3"
    assert session.get(Notification, nid).read_at is not None
    assert _unread(client.get("/console/messages").text) == before - 1


def test_someone_elses_message_is_a_404_and_stays_unread(client, session, persona, ids):
    nid = _send(session, persona, "manager_wang", ids["A"])
    persona("staff_liu").web(client)
    r = client.post(f"/console/messages/{nid}/open", headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 404
    assert "火灾应急预案" not in client.get("/console/messages").text
    assert session.get(Notification, nid).read_at is None


def test_a_resident_reads_messages_on_the_phone_in_english_too(client, session, persona, ids):
    nid = _send(
        session,
        persona,
        "resident_li",
        ids["A"],
        category="visitor_arrived",
        title="访客已到达",
        body="您的访客 张 已于南门入园。",
    )
    persona("resident_li").web(client)
    assert "访客已到达" in client.get("/h5/messages").text
    client.cookies.set("anju_lang", "en")
    assert "Visitor arrived" in client.get("/h5/messages").text
    r = client.post(f"/h5/messages/{nid}/open", headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/h5/messages?ok=")  # no page named: back, read
    assert session.get(Notification, nid).read_at is not None
    assert client.get("/console/messages", follow_redirects=False).status_code in (303, 403)  # residents: phone only


@pytest.mark.db_agnostic
def test_the_page_a_message_names_is_local_or_its_alarm():
    def n(body: str, alarm_id: int | None = None) -> Notification:
        return Notification(body=body, alarm_id=alarm_id, category="alarm", title="t", user_id=1, compound_id=1)

    assert page_of(n("请在 2 小时内上门：/field/visits。")) == "/field/visits"
    assert page_of(n("see https://evil.example/console/x")) is None  # only Anju's own pages, never another site
    assert page_of(n("告警已升级", alarm_id=42)) == "/console/alarms?alarm_id=42"
    assert page_of(n("工单 #12：请尽快处理")) is None
