"""Volunteers (邻里守望, issue 18 item 5): registration with skills, patrol shifts with sign-up and capacity,
hours by the volunteer's own check-in and check-out, points earned once, rewards exchanged with what for; the
bad input of the issue: a volunteer checking in for someone else, a full shift, a double sign-up, a negative
balance. Time is explicit (`now=`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from anju.core.db import utcnow
from anju.core.errors import AppError
from anju.volunteers.schemas import ActivityIn, RewardIn, VolunteerIn
from anju.volunteers.service import volunteer_service


@pytest.fixture
def li(persona):
    return persona("resident_li").who


@pytest.fixture
def wang(persona):
    return persona("manager_wang").who


def _shift(session, wang, ids, start, *, capacity=3, pph=10):
    return volunteer_service.create_activity(
        session,
        who=wang,
        data=ActivityIn(
            compound_id=ids["A"],
            title="邻里守望夜间巡逻",
            place="3号楼周边",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=capacity,
            points_per_hour=pph,
        ),
    )


def _register(session, who, ids):
    return volunteer_service.register(
        session,
        who=who,
        data=VolunteerIn(compound_id=ids["A"], display_name="李阿姨", skills=["急救"], availability="周末晚上"),
    )


def _code(fn):
    with pytest.raises(AppError) as e:
        fn()
    return e.value.code


class TestVolunteers:
    def test_register_sign_up_serve_and_earn_points_once(self, session, ids, li, wang):
        v = _register(session, li, ids)
        assert v.skills == ["急救"] and _register(session, li, ids).id == v.id  # again: the same volunteer
        start = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)  # 20:00 China time
        a = _shift(session, wang, ids, start)
        s = volunteer_service.sign_up(session, who=li, activity_id=a.id, now=start - timedelta(days=1))
        assert a.signed_up == 1
        assert _code(
            lambda: volunteer_service.check_in(session, who=li, signup_id=s.id, now=start - timedelta(hours=1))
        ) == ("volunteer_outside_window")
        volunteer_service.check_in(session, who=li, signup_id=s.id, now=start - timedelta(minutes=10))
        out = volunteer_service.check_out(session, who=li, signup_id=s.id, now=start + timedelta(hours=3))
        assert (out.minutes, out.points) == (120, 20)  # only the shift's own two hours count
        assert _code(
            lambda: volunteer_service.check_out(session, who=li, signup_id=s.id, now=start + timedelta(hours=3))
        ) == ("volunteer_wrong_step")
        session.refresh(v)
        assert (v.points, v.minutes_served) == (20, 120)
        ledger = volunteer_service.ledger(session, who=li, compound_id=ids["A"])
        assert [(e.kind, e.amount) for e in ledger] == [("earned", 20)]

    def test_nobody_checks_in_for_someone_else(self, client, login, session, ids, li, wang, persona):
        _register(session, li, ids)
        now = utcnow()
        a = _shift(session, wang, ids, now + timedelta(minutes=10))
        s = volunteer_service.sign_up(session, who=li, activity_id=a.id, now=now)
        other = persona("committee_sun").who
        code = _code(lambda: volunteer_service.check_in(session, who=other, signup_id=s.id, now=now))
        assert code in ("volunteer_signup_not_found",)
        r = client.post(f"/api/v1/volunteers/signups/{s.id}/check-in", headers=login("manager_wang"))
        assert r.status_code == 404
        mine = client.post(f"/api/v1/volunteers/signups/{s.id}/check-in", headers=login("resident_li"))
        assert mine.status_code == 200 and mine.json()["checked_in_at"] is not None

    def test_a_full_shift_and_a_double_sign_up_are_refused(self, session, ids, li, wang):
        _register(session, li, ids)
        now = utcnow()
        a = _shift(session, wang, ids, now + timedelta(hours=1), capacity=1)
        volunteer_service.sign_up(session, who=li, activity_id=a.id, now=now)
        assert _code(lambda: volunteer_service.sign_up(session, who=li, activity_id=a.id, now=now)) == (
            "volunteer_already_signed_up"
        )
        b = _shift(session, wang, ids, now + timedelta(hours=3), capacity=1)
        b.signed_up = 1  # somebody else took the only place
        session.flush()
        assert _code(lambda: volunteer_service.sign_up(session, who=li, activity_id=b.id, now=now)) == (
            "volunteer_activity_full"
        )

    def test_rewards_cost_points_never_below_zero_and_a_retry_exchanges_once(self, session, ids, li, wang):
        v = _register(session, li, ids)
        start = utcnow() - timedelta(hours=3)
        a = _shift(session, wang, ids, start, pph=30)
        s = volunteer_service.sign_up(session, who=li, activity_id=a.id, now=start - timedelta(hours=1))
        volunteer_service.check_in(session, who=li, signup_id=s.id, now=start)
        volunteer_service.check_out(session, who=li, signup_id=s.id, now=start + timedelta(hours=2))  # 60 points
        gift = volunteer_service.add_reward(
            session, who=wang, data=RewardIn(compound_id=ids["A"], name="物业费抵用券 10 元", cost_points=50, stock=1)
        )
        e1 = volunteer_service.redeem(session, who=li, reward_id=gift.id, request_key="tap-1")
        e2 = volunteer_service.redeem(session, who=li, reward_id=gift.id, request_key="tap-1")
        assert e1.id == e2.id and e1.amount == -50 and e1.reason == "兑换：物业费抵用券 10 元"
        session.refresh(v)
        assert v.points == 10
        more = volunteer_service.add_reward(
            session, who=wang, data=RewardIn(compound_id=ids["A"], name="环保袋", cost_points=20, stock=5)
        )
        assert (
            _code(lambda: volunteer_service.redeem(session, who=li, reward_id=more.id)) == "volunteer_not_enough_points"
        )

    def test_api_roster_and_scope(self, client, login, session, ids):
        r = client.post(
            "/api/v1/volunteers/me",
            headers=login("resident_li"),
            json={"compound_id": ids["A"], "display_name": "李阿姨", "skills": ["消防"]},
        )
        assert r.status_code == 201, r.text
        other = client.post(
            "/api/v1/volunteers/me", headers=login("resident_li"), json={"compound_id": ids["B"], "display_name": "李"}
        )
        assert other.status_code == 404
        roster = client.get(f"/api/v1/volunteers/roster?compound_id={ids['A']}", headers=login("manager_wang"))
        assert roster.status_code == 200 and "李阿姨" in [x["display_name"] for x in roster.json()]
        assert (
            client.get(f"/api/v1/volunteers/roster?compound_id={ids['A']}", headers=login("outsider_zhao")).status_code
            == 404
        )
        bad = client.post(
            "/api/v1/volunteers/activities",
            headers=login("manager_wang"),
            json={
                "compound_id": ids["A"],
                "title": "巡逻",
                "starts_at": "2026-12-06T20:00:00",  # no offset: refused, not guessed
                "ends_at": "2026-12-06T22:00:00+08:00",
                "capacity": 2,
            },
        )
        assert bad.status_code == 422
