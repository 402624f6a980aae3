"""Care coverage for aggregate views (the street office's district view): counts only, never persons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from anju.care.models import CareProfile, CareVisit


@dataclass(frozen=True)
class CareCoverage:
    """Persons in the care archive (active) and how many of them had a visit done in the span."""

    profiles: int
    visited: int


def care_coverage(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime
) -> dict[int, CareCoverage]:
    """Per compound: active care-archive persons, and those of them with a visit (any kind) done in [since, until).
    Care coverage = visited ÷ profiles."""
    out = {c: CareCoverage(0, 0) for c in compound_ids}
    profiles = dict(
        session.execute(
            select(CareProfile.compound_id, func.count())
            .where(CareProfile.compound_id.in_(compound_ids), CareProfile.active.is_(True))
            .group_by(CareProfile.compound_id)
        ).all()
    )
    visited = dict(
        session.execute(
            select(CareVisit.compound_id, func.count(distinct(CareVisit.profile_id)))
            .join(CareProfile, CareProfile.id == CareVisit.profile_id)
            .where(
                CareVisit.compound_id.in_(compound_ids),
                CareProfile.active.is_(True),
                CareVisit.status == "done",
                CareVisit.visited_at >= since,
                CareVisit.visited_at < until,
            )
            .group_by(CareVisit.compound_id)
        ).all()
    )
    for c in compound_ids:
        out[c] = CareCoverage(int(profiles.get(c, 0)), int(visited.get(c, 0)))
    return out
