"""Every notices/surveys query."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.notices.enums import Audience, TargetKind
from anju.notices.models import (
    Notice,
    NoticeDelivery,
    NoticeMute,
    Survey,
    SurveyParticipation,
)
from anju.registry.enums import OccupancyRole, PersonStatus
from anju.registry.models import House, Occupancy, Person
from anju.registry.occupancy import current_occupancy_clause

_ROLES = {Audience.owners: (OccupancyRole.owner, OccupancyRole.co_owner), Audience.tenants: (OccupancyRole.tenant,)}


class NoticeQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def recipients(
        self,
        *,
        compound_id: int,
        target_kind: TargetKind,
        target_id: int | None,
        buildings: list[int] | None,
        audience: Audience,
    ) -> dict[int, int]:
        """Current residents of the targeted houses: person id -> (first) house id."""
        q = (
            select(Occupancy.person_id, Occupancy.house_id)
            .join(House, House.id == Occupancy.house_id)
            .join(Person, Person.id == Occupancy.person_id)
            .where(House.compound_id == compound_id, current_occupancy_clause(), Person.status == PersonStatus.active)
            .order_by(Occupancy.id)
        )
        if buildings:
            q = q.where(House.building_id.in_(buildings))
        if target_kind == TargetKind.building:
            q = q.where(House.building_id == target_id)
        elif target_kind == TargetKind.unit:
            q = q.where(House.unit_id == target_id)
        elif target_kind == TargetKind.house:
            q = q.where(House.id == target_id)
        if audience in _ROLES:
            q = q.where(Occupancy.role.in_(_ROLES[audience]))
        out: dict[int, int] = {}
        for person_id, house_id in self.session.execute(q):
            out.setdefault(person_id, house_id)
        return out

    def muted(self, person_ids: Iterable[int], kind: str) -> set[int]:
        ids = list(person_ids)
        if not ids:
            return set()
        rows = self.session.execute(
            select(NoticeMute.person_id).where(NoticeMute.kind.in_(("all", kind)), NoticeMute.person_id.in_(ids))
        ).scalars()
        return set(rows)

    def inbox(self, person_id: int, *, limit: int = 100) -> list[tuple[Notice, NoticeDelivery]]:
        rows = self.session.execute(
            select(Notice, NoticeDelivery)
            .join(NoticeDelivery, NoticeDelivery.notice_id == Notice.id)
            .where(NoticeDelivery.person_id == person_id)
            .order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(limit)
        ).all()
        return [(n, d) for n, d in rows]

    def unread(self, person_id: int) -> int:
        return int(
            self.session.execute(
                select(func.count())
                .select_from(NoticeDelivery)
                .where(NoticeDelivery.person_id == person_id, NoticeDelivery.read_at.is_(None))
            ).scalar_one()
        )

    def published(self, compound_id: int, *, limit: int = 100) -> list[tuple[Notice, int]]:
        """Notices of a compound, newest first, with their read-receipt counts."""
        reads = (
            select(NoticeDelivery.notice_id, func.count().label("n"))
            .where(NoticeDelivery.compound_id == compound_id, NoticeDelivery.read_at.is_not(None))
            .group_by(NoticeDelivery.notice_id)
            .subquery()
        )
        rows = self.session.execute(
            select(Notice, func.coalesce(reads.c.n, 0))
            .outerjoin(reads, reads.c.notice_id == Notice.id)
            .where(Notice.compound_id == compound_id)
            .order_by(Notice.published_at.desc(), Notice.id.desc())
            .limit(limit)
        ).all()
        return [(n, int(c)) for n, c in rows]

    def surveys(self, compound_id: int) -> list[Survey]:
        return list(
            self.session.execute(
                select(Survey).where(Survey.compound_id == compound_id).order_by(Survey.id.desc())
            ).scalars()
        )

    def answered_keys(self, survey_ids: list[int], keys: list[str]) -> set[tuple[int, str]]:
        if not survey_ids or not keys:
            return set()
        rows = self.session.execute(
            select(SurveyParticipation.survey_id, SurveyParticipation.respondent_key).where(
                SurveyParticipation.survey_id.in_(survey_ids), SurveyParticipation.respondent_key.in_(keys)
            )
        ).all()
        return {(s, k) for s, k in rows}
