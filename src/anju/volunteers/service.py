"""Volunteer rules (邻里守望, issue 18 item 5).

- A resident registers in their compound with skills and availability (again: updates them).
- Staff (or the grid worker) post patrol shifts and events with a capacity and points per hour served.
- Sign-up: once per volunteer and activity (unique key), never past capacity (compare-and-set on the count).
- Hours: the volunteer checks in and out themself, from 30 minutes before the start to the end; a sign-up that is
  not the caller's own is 404 (nobody checks in for someone else). Minutes count only inside the activity's time.
- Points: check-out earns minutes × points per hour / 60, once (the ledger's unique key "signup:<id>"); a reward
  is exchanged for its cost while stock lasts, with the ledger line saying what for; the balance never goes below
  zero and a retried exchange (same request key) happens once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.errors import Forbidden, NotFound
from anju.volunteers.enums import PointsKind
from anju.volunteers.exceptions import (
    ActivityFull,
    ActivityNotFound,
    AlreadySignedUp,
    NotAVolunteer,
    NotEnoughPoints,
    OutOfStock,
    OutsideWindow,
    SignupNotFound,
    WrongStep,
)
from anju.volunteers.models import PointsEntry, Volunteer, VolunteerActivity, VolunteerReward, VolunteerSignup
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.repository import VolunteerQuery
from anju.volunteers.schemas import ActivityIn, RewardIn, VolunteerIn

CHECKIN_EARLY = timedelta(minutes=30)


def _staff(who: Principal, compound_id: int) -> None:
    who.require(VolunteersPerm.manage)
    if not who.is_staff or not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")


class VolunteerService:
    # --- residents -----------------------------------------------------------------------------------------
    def register(self, session: Session, *, who: Principal, data: VolunteerIn) -> Volunteer:
        if who.is_staff or who.user_id is None or data.compound_id not in who.compound_ids:
            raise NotFound("compound not found", zh="未找到该小区")
        skills = [s.strip()[:16] for s in data.skills if s.strip()]
        v = VolunteerQuery(session).volunteer_of(data.compound_id, who.user_id)
        if v is None:
            v = Volunteer(compound_id=data.compound_id, user_id=who.user_id, display_name=data.display_name.strip())
            try:
                with session.begin_nested():
                    session.add(v)
                    session.flush()
            except IntegrityError:
                v = VolunteerQuery(session).volunteer_of(data.compound_id, who.user_id)
                assert v is not None
        v.display_name, v.skills, v.availability = data.display_name.strip(), skills, data.availability.strip()
        session.flush()
        return v

    def registration(self, session: Session, *, who: Principal, compound_id: int) -> Volunteer | None:
        return VolunteerQuery(session).volunteer_of(compound_id, who.user_id or 0)

    def me(self, session: Session, *, who: Principal, compound_id: int) -> Volunteer:
        v = VolunteerQuery(session).volunteer_of(compound_id, who.user_id or 0)
        if v is None:
            raise NotAVolunteer()
        return v

    def activities(self, session: Session, *, who: Principal, now: datetime) -> list[VolunteerActivity]:
        return VolunteerQuery(session).activities(sorted(who.compound_ids), since=now - timedelta(days=1))

    def activity(self, session: Session, *, who: Principal, activity_id: int) -> VolunteerActivity:
        a = session.get(VolunteerActivity, activity_id)
        if a is None or a.compound_id not in who.compound_ids:
            raise ActivityNotFound()
        return a

    def sign_up(self, session: Session, *, who: Principal, activity_id: int, now: datetime) -> VolunteerSignup:
        a = self.activity(session, who=who, activity_id=activity_id)
        v = self.me(session, who=who, compound_id=a.compound_id)
        if a.ends_at <= now:
            raise OutsideWindow("the activity is over", zh="该活动已结束")
        q = VolunteerQuery(session)
        if q.signup(a.id, v.id) is not None:
            raise AlreadySignedUp()
        if not q.take_place(a.id):
            raise ActivityFull()
        s = VolunteerSignup(compound_id=a.compound_id, activity_id=a.id, volunteer_id=v.id)
        try:
            with session.begin_nested():
                session.add(s)
                session.flush()
        except IntegrityError:
            raise AlreadySignedUp() from None  # a double tap: the request rolls back, the place with it
        session.refresh(a)
        return s

    def my_signups(self, session: Session, *, who: Principal, compound_id: int) -> list[VolunteerSignup]:
        v = VolunteerQuery(session).volunteer_of(compound_id, who.user_id or 0)
        return VolunteerQuery(session).signups_of(v.id) if v is not None else []

    def _own_signup(
        self, session: Session, who: Principal, signup_id: int
    ) -> tuple[VolunteerSignup, VolunteerActivity]:
        s = session.get(VolunteerSignup, signup_id)
        if s is None or s.compound_id not in who.compound_ids:
            raise SignupNotFound()
        v = session.get(Volunteer, s.volunteer_id)
        if v is None or v.user_id != who.user_id:
            raise SignupNotFound()  # nobody checks in (or out) for someone else
        a = session.get(VolunteerActivity, s.activity_id)
        assert a is not None
        return s, a

    def check_in(self, session: Session, *, who: Principal, signup_id: int, now: datetime) -> VolunteerSignup:
        s, a = self._own_signup(session, who, signup_id)
        if not a.starts_at - CHECKIN_EARLY <= now <= a.ends_at:
            raise OutsideWindow()
        res = session.execute(
            update(VolunteerSignup)
            .where(VolunteerSignup.id == s.id, VolunteerSignup.checked_in_at.is_(None))
            .values(checked_in_at=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise WrongStep("already checked in", zh="已签到")
        session.refresh(s)
        return s

    def check_out(self, session: Session, *, who: Principal, signup_id: int, now: datetime) -> VolunteerSignup:
        """Hours served inside the activity's time; points earned once."""
        s, a = self._own_signup(session, who, signup_id)
        if s.checked_in_at is None:
            raise WrongStep("check in first", zh="请先签到")
        end = min(now, a.ends_at)
        begin = max(s.checked_in_at, a.starts_at)
        minutes = max(0, int((end - begin).total_seconds() // 60))
        points = minutes * a.points_per_hour // 60
        res = session.execute(
            update(VolunteerSignup)
            .where(
                VolunteerSignup.id == s.id,
                VolunteerSignup.checked_in_at.is_not(None),
                VolunteerSignup.checked_out_at.is_(None),
            )
            .values(checked_out_at=now, minutes=minutes, points=points)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise WrongStep("already checked out", zh="已签退")
        session.add(
            PointsEntry(
                compound_id=s.compound_id,
                volunteer_id=s.volunteer_id,
                kind=PointsKind.earned.value,
                amount=points,
                reason=f"{a.title}（{minutes} 分钟）"[:128],
                source_key=f"signup:{s.id}",
            )
        )
        session.flush()
        VolunteerQuery(session).move_points(s.volunteer_id, points, minutes)
        session.refresh(s)
        return s

    def redeem(
        self, session: Session, *, who: Principal, reward_id: int, request_key: str | None = None
    ) -> PointsEntry:
        r = session.get(VolunteerReward, reward_id)
        if r is None or r.compound_id not in who.compound_ids:
            raise NotFound("reward not found", zh="未找到该奖品")
        v = self.me(session, who=who, compound_id=r.compound_id)
        key = f"redeem:{v.id}:{(request_key or secrets.token_hex(8))[:24]}"
        prior = VolunteerQuery(session).entry(key)
        if prior is not None:
            return prior  # a retried exchange
        q = VolunteerQuery(session)
        if not q.move_points(v.id, -r.cost_points):
            raise NotEnoughPoints()
        if not q.take_stock(r.id):
            raise OutOfStock()  # the request rolls back, the points with it
        entry = PointsEntry(
            compound_id=r.compound_id,
            volunteer_id=v.id,
            kind=PointsKind.redeemed.value,
            amount=-r.cost_points,
            reason=f"兑换：{r.name}"[:128],
            source_key=key,
            reward_id=r.id,
        )
        session.add(entry)
        session.flush()
        return entry

    def ledger(self, session: Session, *, who: Principal, compound_id: int) -> list[PointsEntry]:
        return VolunteerQuery(session).ledger(self.me(session, who=who, compound_id=compound_id).id)

    def rewards(self, session: Session, *, who: Principal, compound_id: int) -> list[VolunteerReward]:
        if compound_id not in who.compound_ids:
            raise NotFound("compound not found", zh="未找到该小区")
        return VolunteerQuery(session).rewards(compound_id)

    # --- staff ---------------------------------------------------------------------------------------------
    def create_activity(self, session: Session, *, who: Principal, data: ActivityIn) -> VolunteerActivity:
        _staff(who, data.compound_id)
        a = VolunteerActivity(
            compound_id=data.compound_id,
            kind=data.kind.value,
            title=data.title.strip(),
            place=data.place.strip(),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            capacity=data.capacity,
            points_per_hour=data.points_per_hour,
            created_by=who.user_id,
        )
        session.add(a)
        session.flush()
        return a

    def add_reward(self, session: Session, *, who: Principal, data: RewardIn) -> VolunteerReward:
        _staff(who, data.compound_id)
        r = VolunteerReward(
            compound_id=data.compound_id, name=data.name.strip(), cost_points=data.cost_points, stock=data.stock
        )
        session.add(r)
        session.flush()
        return r

    def roster(self, session: Session, *, who: Principal, compound_id: int) -> list[Volunteer]:
        who.require(VolunteersPerm.read)
        if not who.is_staff or not who.in_scope(compound_id):
            raise Forbidden() if not who.is_staff else NotFound("compound not found", zh="未找到该小区")
        return VolunteerQuery(session).volunteers(compound_id)


volunteer_service = VolunteerService()
