"""Every query of the decoration domain."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, false, select, update
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.decoration.enums import LIVE_STATUSES
from anju.decoration.models import DecorationApplication, DecorationInspection, DecorationWorker
from anju.registry.enums import OccupancyRole
from anju.registry.models import House, Occupancy
from anju.registry.occupancy import current_occupancy_clause


def readable(who: Principal) -> Select[DecorationApplication]:
    """Staff see their compounds' applications; residents their own houses'."""
    if who.is_staff:
        return select(DecorationApplication).where(DecorationApplication.compound_id.in_(who.compound_ids))
    if who.house_ids:
        return select(DecorationApplication).where(DecorationApplication.house_id.in_(who.house_ids))
    return select(DecorationApplication).where(false())


class DecorationQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_house(self, house_id: int) -> House | None:
        """The house row, write-locked so two applications for one house are checked one at a time.

        A no-op UPDATE rather than SELECT … FOR UPDATE: PostgreSQL locks the row either way, and SQLite (which
        has no row locks) takes its write lock here, before the overlap check reads anything.
        """
        self.session.execute(
            update(House).where(House.id == house_id).values(id=House.id).execution_options(synchronize_session=False)
        )
        return self.session.execute(select(House).where(House.id == house_id)).scalar_one_or_none()

    def overlapping(self, house_id: int, start: date, end: date) -> DecorationApplication | None:
        return self.session.execute(
            select(DecorationApplication)
            .where(
                DecorationApplication.house_id == house_id,
                DecorationApplication.status.in_(list(LIVE_STATUSES)),
                DecorationApplication.start_date <= end,
                DecorationApplication.end_date >= start,
            )
            .limit(1)
        ).scalar_one_or_none()

    def role_in(self, person_id: int, house_id: int) -> OccupancyRole | None:
        roles = set(
            self.session.execute(
                select(Occupancy.role).where(
                    Occupancy.person_id == person_id, Occupancy.house_id == house_id, current_occupancy_clause()
                )
            ).scalars()
        )
        for r in (OccupancyRole.owner, OccupancyRole.co_owner, OccupancyRole.family, OccupancyRole.tenant):
            if r in roles:
                return r
        return None

    def ended_before(self, cutoff: date) -> list[int]:
        """Applications whose works ended before `cutoff` and still hold contact data."""
        return list(
            self.session.execute(
                select(DecorationApplication.id).where(
                    DecorationApplication.end_date < cutoff,
                    DecorationApplication.id.in_(
                        select(DecorationWorker.application_id).where(
                            DecorationWorker.phone_masked.is_distinct_from("—")
                        )
                    )
                    | DecorationApplication.contractor_phone_enc.is_not(None),
                )
            ).scalars()
        )

    def workers(self, application_id: int) -> list[DecorationWorker]:
        return list(
            self.session.execute(
                select(DecorationWorker)
                .where(DecorationWorker.application_id == application_id)
                .order_by(DecorationWorker.id)
            ).scalars()
        )

    def inspections(self, application_id: int) -> list[DecorationInspection]:
        return list(
            self.session.execute(
                select(DecorationInspection)
                .where(DecorationInspection.application_id == application_id)
                .order_by(DecorationInspection.id)
            ).scalars()
        )

    def users_of(self, person_id: int | None) -> list[int]:
        """Active accounts of a person (to tell the applicant of a decision)."""
        from anju.accounts.models import User

        if person_id is None:
            return []
        return list(
            self.session.execute(select(User.id).where(User.person_id == person_id, User.active.is_(True))).scalars()
        )
