"""The residents' safety committee and safety education (issue 18 items 5 and 6): members and meetings with
decisions published once as notices; campaigns for an audience drawn from the registry, read once, a quiz answered
once; coverage per audience. Time is explicit (`now=`)."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from anju.core.db import utcnow
from anju.core.errors import AppError
from anju.volunteers.committee import committee_service
from anju.volunteers.education import audience_members, education_service
from anju.volunteers.enums import CommitteeRole, EducationAudience
from anju.volunteers.schemas import CampaignIn, MeetingIn, MemberIn, QuizQuestionIn


def _code(fn):
    with pytest.raises(AppError) as e:
        fn()
    return e.value.code


class TestSafetyCommittee:
    def test_meeting_with_members_and_a_decision_published_once_as_a_notice(self, session, ids, persona):
        from anju.notices.models import Notice

        wang, li = persona("manager_wang").who, persona("resident_li").who
        a = ids["A"]
        chair = committee_service.add_member(
            session, who=wang, data=MemberIn(compound_id=a, name="孙主任", role=CommitteeRole.chair)
        )
        gone = committee_service.add_member(
            session, who=wang, data=MemberIn(compound_id=a, name="赵委员", joined_on=date(2025, 1, 1))
        )
        committee_service.end_member(session, who=wang, member_id=gone.id, left_on=date(2025, 6, 30))
        assert [m.id for m in committee_service.members(session, who=wang, compound_id=a)] == [chair.id]
        # Someone who had left by the meeting's day cannot be recorded as attending.
        data = {"compound_id": a, "title": "第三季度安全例会", "held_at": utcnow(), "minutes": "讨论电动车楼道充电问题"}
        assert (
            _code(
                lambda: committee_service.record_meeting(
                    session, who=wang, data=MeetingIn(**data, attendee_ids=[chair.id, gone.id])
                )
            )
            == "invalid"
        )
        m = committee_service.record_meeting(
            session,
            who=wang,
            data=MeetingIn(**data, attendee_ids=[chair.id], decisions=["禁止电动车进楼道充电，统一到充电桩充电"]),
        )
        d = committee_service.decisions(session, meeting_ids=[m.id])[m.id][0]
        published = committee_service.publish_decision(session, who=wang, decision_id=d.id, now=utcnow())
        notice = session.get(Notice, published.notice_id)
        assert notice is not None and "禁止电动车进楼道充电" in notice.body and notice.recipients > 0
        assert (
            _code(lambda: committee_service.publish_decision(session, who=wang, decision_id=d.id, now=utcnow()))
            == "safety_committee_decision_published"
        )
        n = session.execute(select(Notice).where(Notice.title.like("居民安全委员会决议%"))).scalars().all()
        assert len(n) == 1
        # Residents do not keep the committee's records; another compound's staff get 404.
        assert _code(lambda: committee_service.members(session, who=li, compound_id=a)) in ("forbidden", "not_found")


def _fact(pid, house, *, born=None, role="owner", pop="registered", tags=()):
    return SimpleNamespace(person_id=pid, house_id=house, role=role, birth_date=born, population_type=pop, tags=tags)


@pytest.mark.db_agnostic
def test_audiences_drawn_from_registry_facts():
    today = date(2026, 12, 6)
    facts = [
        _fact(1, 10, born=date(1950, 3, 1)),  # 76: elderly
        _fact(2, 10, born=date(1966, 12, 7)),  # turns 60 tomorrow: not yet
        _fact(3, 11, tags=("elderly_alone",)),  # tagged
        _fact(4, 12, born=date(2015, 5, 5)),  # a child ...
        _fact(5, 12, born=date(1985, 1, 1)),  # ... and the parent in the same house
        _fact(6, 13, role="tenant"),
        _fact(7, 14, pop="floating"),
    ]
    assert audience_members(facts, EducationAudience.elderly, today) == {1, 3}
    assert audience_members(facts, EducationAudience.children, today) == {4, 5}
    assert audience_members(facts, EducationAudience.tenants, today) == {6, 7}
    assert len(audience_members(facts, EducationAudience.everyone, today)) == 7


class TestSafetyEducation:
    def test_campaign_read_once_quiz_once_and_coverage(self, session, ids, persona):
        wang, li = persona("manager_wang").who, persona("resident_li").who
        now = utcnow()
        c = education_service.publish(
            session,
            who=wang,
            data=CampaignIn(
                compound_id=ids["A"],
                audience=EducationAudience.everyone,
                title="警惕冒充客服退款诈骗",
                body="接到自称客服要求转账退款的电话，请挂断并拨打 96110 核实。",
                video_url="https://example.org/anti-fraud.mp4",
                quiz=[
                    QuizQuestionIn(q="陌生人要求转账“退款”，应该？", options=["照做", "挂断并核实"], answer=1),
                    QuizQuestionIn(q="反诈专线是？", options=["96110", "12345"], answer=0),
                ],
            ),
            now=now,
        )
        assert c.audience_size >= 1
        assert [x.id for x, _ in education_service.mine(session, who=li)] == [c.id]
        _, t = education_service.open(session, who=li, campaign_id=c.id, now=now + timedelta(minutes=1))
        first_read = t.read_at
        education_service.open(session, who=li, campaign_id=c.id, now=now + timedelta(hours=1))
        assert t.read_at == first_read
        assert (
            _code(lambda: education_service.answer_quiz(session, who=li, campaign_id=c.id, answers=[1], now=now))
            == "education_quiz_bad_answers"
        )
        t = education_service.answer_quiz(session, who=li, campaign_id=c.id, answers=[1, 1], now=now)
        assert t.quiz_score == 1
        assert (
            _code(lambda: education_service.answer_quiz(session, who=li, campaign_id=c.id, answers=[1, 0], now=now))
            == "education_quiz_answered"
        )
        cov = education_service.coverage(session, who=wang, compound_id=ids["A"])
        row = next(r for r in cov["campaigns"] if r["campaign"].id == c.id)
        assert (row["read"], row["quizzed"], row["average"]) == (1, 1, 1.0)
        # The security report's figures for the period the campaign was published in.
        figures = education_service.period_figures(
            session, compound_id=ids["A"], since=now - timedelta(days=1), until=now + timedelta(days=1)
        )
        assert figures == {"campaigns": 1, "reached": c.audience_size, "read": 1, "quizzed": 1}
        everyone = next(a for a in cov["audiences"] if a["audience"] == "everyone")
        assert everyone["correct_rate"] == 0.5 and everyone["targets"] == c.audience_size
        # Not targeted (an elderly-only campaign in a compound where li is not elderly): 404, not a read.
        other = persona("outsider_zhao").who
        assert _code(lambda: education_service.open(session, who=other, campaign_id=c.id, now=now)) == (
            "education_campaign_not_found"
        )
