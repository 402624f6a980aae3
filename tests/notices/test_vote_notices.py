"""A published vote and its announced results reach the owners' inboxes once, without voter names (R-V11, R-P9)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from anju.core.events import OutboxEvent
from anju.governance.models import Vote
from anju.notices.models import Notice, NoticeDelivery
from tests.conftest import run_worker_once


def _notices(session, compound_id: int, prefix: str) -> list[Notice]:
    return list(
        session.execute(
            select(Notice).where(Notice.compound_id == compound_id, Notice.title.startswith(prefix))
        ).scalars()
    )


def test_r_v11_publishing_a_vote_posts_the_agenda_to_owners_once(client, login, session, ids):
    now = datetime.now(UTC)
    r = client.post(
        "/api/v1/votes",
        headers=login("committee_sun"),
        json={
            "compound_id": ids["A"],
            "title": "选举第三届业主委员会",
            "matter_type": "elect_committee",
            "opens_at": (now + timedelta(days=16)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
            "items": [{"title": "选举业主委员会委员", "description": "候选人名单见公告栏"}],
        },
    )
    assert r.status_code == 201, r.text
    assert client.post(f"/api/v1/votes/{r.json()['id']}/publish", headers=login("committee_sun")).status_code == 200
    run_worker_once()
    posted = _notices(session, ids["A"], "业主大会表决公告 / Owners' vote: 选举第三届业主委员会")
    assert len(posted) == 1 and posted[0].audience == "owners" and posted[0].recipients > 0
    assert "选举业主委员会委员" in posted[0].body and "投票时间" in posted[0].body
    assert "Elect the owners' committee" in posted[0].body and "Voting:" in posted[0].body  # both languages
    li = session.execute(
        select(func.count())
        .select_from(NoticeDelivery)
        .where(NoticeDelivery.notice_id == posted[0].id, NoticeDelivery.person_id == ids["li_person"])
    ).scalar_one()
    assert li == 1  # resident_li owns 3-1-0802
    inbox = client.get("/h5/notices", headers=login("resident_li"))
    assert inbox.status_code in (200, 303)

    # A redelivered event (a worker crashed after the commit, say) posts nothing new.
    ev = (
        session.execute(
            select(OutboxEvent).where(OutboxEvent.topic == "governance.VotePublished").order_by(OutboxEvent.id.desc())
        )
        .scalars()
        .first()
    )
    ev.status, ev.locked_by, ev.locked_until = "pending", None, None
    session.flush()
    run_worker_once()
    assert len(_notices(session, ids["A"], "业主大会表决公告 / Owners' vote: 选举第三届业主委员会")) == 1


def test_r_p9_announced_results_reach_owners_without_names(client, login, session, ids, persona):
    from anju.governance.enums import VoteState
    from anju.governance.service import vote_service
    from anju.registry.models import Person

    vote = (
        session.execute(select(Vote).where(Vote.compound_id == ids["A"], Vote.state == VoteState.tallied))
        .scalars()
        .first()
    )
    if vote is None:  # the demo's past vote is already announced: re-announce a copy of its state
        vote = (
            session.execute(select(Vote).where(Vote.compound_id == ids["A"], Vote.state == VoteState.announced))
            .scalars()
            .first()
        )
        assert vote is not None
        vote.state = VoteState.tallied
        vote.announced_at = None
        session.flush()
    run_worker_once()  # the demo's own vote events first
    before = {n.id for n in _notices(session, ids["A"], f"表决结果公示 / Vote results: {vote.title}")}
    vote_service.announce(
        session,
        by=persona("committee_sun").who,
        vote_id=vote.id,
        text_="经业主大会表决，结果如下。",
        now=datetime.now(UTC),
    )
    session.flush()
    run_worker_once()
    posted = [
        n for n in _notices(session, ids["A"], f"表决结果公示 / Vote results: {vote.title}") if n.id not in before
    ]
    assert len(posted) == 1 and posted[0].kind == "disclosure"
    body = posted[0].body
    assert "参与业主" in body and "参与面积" in body and ("通过" in body or "无效" in body)
    # Issue 17: areas read as decimals ("169034.63/215365.09 ㎡"), never as raw fractions ("16903463/100/…").
    assert not re.search(r"\d+/\d+/\d+", body), body
    assert re.search(r"参与面积 \d+\.\d{2}/\d+\.\d{2} ㎡", body), body
    assert "owners taking part" in body and ("Passed" in body or "Not valid" in body or "Rejected" in body)
    names = set(session.execute(select(Person.name).where(Person.compound_id == ids["A"])).scalars())
    assert not any(n and len(n) >= 2 and n in body for n in names)
