"""Demo data for the governance domain, built after the registry, accounts, devices and access demo.

Two votes in 示范小区, both through the real service (publication, snapshot, hash chains, tally):
one open now (published 16 days ago) that resident_li has not voted in yet, and one tallied
and publicly posted (公示) a few weeks ago with a quorum and a result.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.accounts.service import account_service
from anju.core.db import utcnow
from anju.governance.enums import Channel, MatterType
from anju.governance.models import Ballot, Elector, ElectorPerson
from anju.governance.schemas import AgendaItemIn, VoteCreate
from anju.governance.service import vote_service

OPEN_VOTE_TITLE = "续聘安居物业服务有限公司并调整服务标准"
PAST_VOTE_TITLE = "使用专项维修资金更换 3 号楼电梯"


def _ballots(
    session: Session,
    vote_id: int,
    *,
    share: float,
    seed: int,
    skip_person: int | None,
    yes_rate: float,
    at: object,
    positions: int,
) -> list[Ballot]:
    """Online ballots for a deterministic share of the electorate, cast by each elector's first person."""
    rng = random.Random(seed)
    caster = dict(
        session.execute(
            select(ElectorPerson.elector_id, ElectorPerson.person_id)
            .where(ElectorPerson.vote_id == vote_id)
            .order_by(ElectorPerson.id.desc())
        ).all()
    )
    out = []
    for e in session.execute(select(Elector).where(Elector.vote_id == vote_id).order_by(Elector.id)).scalars():
        person = caster.get(e.id)
        if person is None or person == skip_person or rng.random() >= share:
            continue
        choices = {
            str(p): ("yes" if rng.random() < yes_rate else rng.choice(("no", "abstain")))
            for p in range(1, positions + 1)
        }
        out.append(
            Ballot(elector_id=e.id, channel=Channel.online, cast_by_person_id=person, choices=choices, cast_at=at)
        )
    return out


def build_governance_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed this domain's demo rows for compound `compound_id`. Caller commits."""
    user = session.execute(select(User).where(User.person_id == committee_person_id)).scalars().first()
    if user is None:
        return
    who = account_service.principal(session, user)
    now = utcnow().replace(second=0, microsecond=0)

    # A vote that closed 25 days ago: tallied and posted (公示) the next day.
    past = vote_service.create(
        session,
        by=who,
        data=VoteCreate(
            compound_id=compound_id,
            title=PAST_VOTE_TITLE,
            matter_type=MatterType.use_repair_fund,
            description="3 号楼两部电梯已运行 18 年，故障频发。经检测建议更换，费用从专项维修资金列支。",
            opens_at=now - timedelta(days=40),
            closes_at=now - timedelta(days=25),
            items=[
                AgendaItemIn(title="同意使用专项维修资金更换 3 号楼 1、2 单元电梯"),
                AgendaItemIn(title="同意委托物业公司组织公开招标"),
            ],
        ),
    )
    vote_service.publish(session, by=who, vote_id=past.id, now=now - timedelta(days=56))
    vote_service.advance(session, past, now=past.opens_at)
    batch = _ballots(
        session,
        past.id,
        share=0.8,
        seed=61,
        skip_person=None,
        yes_rate=0.8,
        at=past.opens_at + timedelta(days=2),
        positions=2,
    )
    vote_service.append_many(session, past, batch)
    vote_service.advance(session, past, now=past.closes_at)
    vote_service.announce(
        session,
        by=who,
        vote_id=past.id,
        now=past.closes_at + timedelta(days=1),
        text_="经业主大会表决，两项议题的表决结果如上。本公示期间业主可查阅表决票与计票记录。",
    )

    # The vote open now: the agenda was published 16 days ago; resident_li has not voted yet.
    current = vote_service.create(
        session,
        by=who,
        data=VoteCreate(
            compound_id=compound_id,
            title=OPEN_VOTE_TITLE,
            matter_type=MatterType.hire_property_company,
            description="物业服务合同将于年底到期。本次表决续聘事宜及新的服务标准（保洁频次、安保巡逻）。",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=14),
            items=[
                AgendaItemIn(title="同意续聘安居物业服务有限公司，合同期三年"),
                AgendaItemIn(title="同意按新服务标准调整保洁与巡逻频次"),
            ],
        ),
    )
    vote_service.publish(session, by=who, vote_id=current.id, now=now - timedelta(days=16))
    vote_service.advance(session, current, now=now)
    batch = _ballots(
        session,
        current.id,
        share=0.3,
        seed=62,
        skip_person=li_person_id,
        yes_rate=0.7,
        at=now - timedelta(hours=12),
        positions=2,
    )
    vote_service.append_many(session, current, batch)
