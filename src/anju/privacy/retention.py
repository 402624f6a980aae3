"""Retention: personal data of people who left is erased when its period ends (R-P4)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.privacy.catalog import DEPARTED_RETENTION_DAYS
from anju.registry.enums import PersonStatus
from anju.registry.models import Occupancy, Person
from anju.registry.occupancy import open_occupancy_clause
from anju.registry.service import person_service


class RetentionService:
    def erase_departed(self, session: Session, *, today: date, limit: int = 500) -> list[int]:
        """Erase moved-out people whose last occupancy ended more than the retention period ago."""
        cutoff = today - timedelta(days=DEPARTED_RETENTION_DAYS)
        last_end = (
            select(Occupancy.person_id, func.max(Occupancy.ended_on).label("last_end"))
            .group_by(Occupancy.person_id)
            .subquery()
        )
        active = select(Occupancy.person_id).where(open_occupancy_clause())
        due = (
            session.execute(
                select(Person)
                .join(last_end, last_end.c.person_id == Person.id)
                .where(Person.status == PersonStatus.moved_out, last_end.c.last_end < cutoff, Person.id.not_in(active))
                .order_by(Person.id)
                .limit(limit)
            )
            .scalars()
            .all()
        )
        for person in due:
            person_service.erase(session, who=None, person=person)
        return [p.id for p in due]


retention_service = RetentionService()
