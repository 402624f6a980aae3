"""Every query of the volunteers domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.volunteers.models import PointsEntry, Volunteer, VolunteerActivity, VolunteerReward, VolunteerSignup


class VolunteerQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def volunteer_of(self, compound_id: int, user_id: int) -> Volunteer | None:
        return self.session.execute(
            select(Volunteer).where(Volunteer.compound_id == compound_id, Volunteer.user_id == user_id)
        ).scalar_one_or_none()

    def volunteers(self, compound_id: int) -> list[Volunteer]:
        return list(
            self.session.execute(
                select(Volunteer).where(Volunteer.compound_id == compound_id).order_by(Volunteer.points.desc())
            ).scalars()
        )

    def activities(self, compound_ids: list[int], *, since: datetime) -> list[VolunteerActivity]:
        return list(
            self.session.execute(
                select(VolunteerActivity)
                .where(VolunteerActivity.compound_id.in_(compound_ids or [-1]), VolunteerActivity.ends_at >= since)
                .order_by(VolunteerActivity.starts_at)
                .limit(100)
            ).scalars()
        )

    def signup(self, activity_id: int, volunteer_id: int) -> VolunteerSignup | None:
        return self.session.execute(
            select(VolunteerSignup).where(
                VolunteerSignup.activity_id == activity_id, VolunteerSignup.volunteer_id == volunteer_id
            )
        ).scalar_one_or_none()

    def signups_of(self, volunteer_id: int) -> list[VolunteerSignup]:
        return list(
            self.session.execute(
                select(VolunteerSignup)
                .where(VolunteerSignup.volunteer_id == volunteer_id)
                .order_by(VolunteerSignup.id.desc())
                .limit(50)
            ).scalars()
        )

    def take_place(self, activity_id: int) -> bool:
        """One more volunteer, never past capacity (compare-and-set)."""
        res = self.session.execute(
            update(VolunteerActivity)
            .where(VolunteerActivity.id == activity_id, VolunteerActivity.signed_up < VolunteerActivity.capacity)
            .values(signed_up=VolunteerActivity.signed_up + 1)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def move_points(self, volunteer_id: int, amount: int, minutes: int = 0) -> bool:
        """Add (or take, never below zero) points in one statement."""
        res = self.session.execute(
            update(Volunteer)
            .where(Volunteer.id == volunteer_id, Volunteer.points + amount >= 0)
            .values(points=Volunteer.points + amount, minutes_served=Volunteer.minutes_served + minutes)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def take_stock(self, reward_id: int) -> bool:
        res = self.session.execute(
            update(VolunteerReward)
            .where(VolunteerReward.id == reward_id, VolunteerReward.stock > 0)
            .values(stock=VolunteerReward.stock - 1)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def rewards(self, compound_id: int) -> list[VolunteerReward]:
        return list(
            self.session.execute(
                select(VolunteerReward)
                .where(VolunteerReward.compound_id == compound_id)
                .order_by(VolunteerReward.cost_points)
            ).scalars()
        )

    def ledger(self, volunteer_id: int) -> list[PointsEntry]:
        return list(
            self.session.execute(
                select(PointsEntry)
                .where(PointsEntry.volunteer_id == volunteer_id)
                .order_by(PointsEntry.id.desc())
                .limit(100)
            ).scalars()
        )

    def entry(self, source_key: str) -> PointsEntry | None:
        return self.session.execute(
            select(PointsEntry).where(PointsEntry.source_key == source_key)
        ).scalar_one_or_none()
