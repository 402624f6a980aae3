"""Every patrol query: routes and checkpoints, check-ins, rounds, schedules and handovers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.patrol.models import (
    PatrolCheckin,
    PatrolCheckpoint,
    PatrolRound,
    PatrolRoute,
    PatrolSchedule,
    ShiftHandover,
)


class PatrolRepository:
    def checkin_by_client(self, user_id: int | None, client_id: str) -> PatrolCheckin | None:
        return self.session.execute(
            select(PatrolCheckin).where(PatrolCheckin.user_id == user_id, PatrolCheckin.client_id == client_id)
        ).scalar_one_or_none()

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- routes and checkpoints ---------------------------------------------------------------------
    def route(self, route_id: int) -> PatrolRoute | None:
        return self.session.get(PatrolRoute, route_id)

    def checkpoint(self, checkpoint_id: int) -> PatrolCheckpoint | None:
        return self.session.get(PatrolCheckpoint, checkpoint_id)

    def checkpoints_of_route(self, route_id: int) -> list[PatrolCheckpoint]:
        return list(
            self.session.execute(
                select(PatrolCheckpoint).where(PatrolCheckpoint.route_id == route_id).order_by(PatrolCheckpoint.seq)
            ).scalars()
        )

    def checkpoint_by_scan(self, *, code: str | None, nfc_tag: str | None) -> PatrolCheckpoint | None:
        cond = PatrolCheckpoint.code == code if code else PatrolCheckpoint.nfc_tag == nfc_tag
        return self.session.execute(select(PatrolCheckpoint).where(cond)).scalar_one_or_none()

    def nfc_tag_in_use(self, tags: Sequence[str]) -> bool:
        return bool(
            tags and self.session.execute(select(PatrolCheckpoint.id).where(PatrolCheckpoint.nfc_tag.in_(tags))).first()
        )

    def buildings_in_compound(self, compound_id: int, building_ids: set[int]) -> set[int]:
        """Which of these buildings belong to the compound."""
        from anju.registry.models import Building

        return set(
            self.session.execute(
                select(Building.id).where(Building.id.in_(building_ids), Building.compound_id == compound_id)
            ).scalars()
        )

    def checkpoint_count(self, route_id: int) -> int:
        return int(
            self.session.execute(
                select(func.count()).select_from(PatrolCheckpoint).where(PatrolCheckpoint.route_id == route_id)
            ).scalar_one()
        )

    def first_checkpoint_at(self, route_id: int) -> datetime | None:
        return self.session.execute(
            select(func.min(PatrolCheckpoint.created_at)).where(PatrolCheckpoint.route_id == route_id)
        ).scalar_one()

    def watched_key_points(self) -> list[PatrolCheckpoint]:
        """Key points of active routes that carry a maximum interval (R-W5)."""
        return list(
            self.session.execute(
                select(PatrolCheckpoint)
                .join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
                .where(
                    PatrolCheckpoint.key_point.is_(True),
                    PatrolRoute.active.is_(True),
                    PatrolCheckpoint.max_interval_minutes.is_not(None),
                )
            ).scalars()
        )

    def board_rows(self, compound_id: int) -> list[tuple[PatrolCheckpoint, str]]:
        """Every checkpoint of the compound with its route's name, in route order."""
        rows = self.session.execute(
            select(PatrolCheckpoint, PatrolRoute.name)
            .join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
            .where(PatrolCheckpoint.compound_id == compound_id)
            .order_by(PatrolRoute.id, PatrolCheckpoint.seq, PatrolCheckpoint.id)
        ).all()
        return [(p, str(name)) for p, name in rows]

    # --- check-ins ----------------------------------------------------------------------------------
    def last_checkins(self, compound_id: int | None = None) -> dict[int, datetime]:
        stmt = select(PatrolCheckin.checkpoint_id, func.max(PatrolCheckin.at)).group_by(PatrolCheckin.checkpoint_id)
        if compound_id is not None:
            stmt = stmt.where(PatrolCheckin.compound_id == compound_id)
        return {int(c): at for c, at in self.session.execute(stmt)}

    def my_checkins_since(self, user_id: int, compound_ids: Sequence[int], since: datetime) -> list[PatrolCheckin]:
        """A guard's check-ins since a time, newest first."""
        return list(
            self.session.execute(
                select(PatrolCheckin)
                .where(
                    PatrolCheckin.user_id == user_id,
                    PatrolCheckin.compound_id.in_(list(compound_ids)),
                    PatrolCheckin.at >= since,
                )
                .order_by(PatrolCheckin.at.desc(), PatrolCheckin.id.desc())
            ).scalars()
        )

    def active_routes(self, compound_ids: Sequence[int]) -> list[PatrolRoute]:
        return list(
            self.session.execute(
                select(PatrolRoute)
                .where(PatrolRoute.compound_id.in_(list(compound_ids)), PatrolRoute.active.is_(True))
                .order_by(PatrolRoute.id)
            ).scalars()
        )

    def late_checkins(self, compound_id: int, limit: int = 10) -> list[tuple[PatrolCheckin, str]]:
        """Check-ins that reached the server late (queued offline), newest sync first, with the point's name."""
        return [
            (c, name)
            for c, name in self.session.execute(
                select(PatrolCheckin, PatrolCheckpoint.name)
                .join(PatrolCheckpoint, PatrolCheckpoint.id == PatrolCheckin.checkpoint_id)
                .where(PatrolCheckin.compound_id == compound_id, PatrolCheckin.synced_at.is_not(None))
                .order_by(PatrolCheckin.synced_at.desc(), PatrolCheckin.id.desc())
                .limit(limit)
            ).tuples()
        ]

    def checked_points(self, route_id: int, start: datetime, end: datetime) -> int:
        """Distinct checkpoints of a route checked in between start and end."""
        return int(
            self.session.execute(
                select(func.count(func.distinct(PatrolCheckin.checkpoint_id))).where(
                    PatrolCheckin.route_id == route_id, PatrolCheckin.at >= start, PatrolCheckin.at <= end
                )
            ).scalar_one()
        )

    # --- schedules and rounds -----------------------------------------------------------------------
    def active_schedules(self) -> list[PatrolSchedule]:
        return list(
            self.session.execute(
                select(PatrolSchedule)
                .join(PatrolRoute, PatrolRoute.id == PatrolSchedule.route_id)
                .where(PatrolSchedule.active.is_(True), PatrolRoute.active.is_(True))
            ).scalars()
        )

    def round_decided(self, schedule_id: int, day: date) -> bool:
        return (
            self.session.execute(
                select(PatrolRound.id).where(PatrolRound.schedule_id == schedule_id, PatrolRound.day == day)
            ).first()
            is not None
        )

    def routes_needing_key_unit_round(self) -> list[tuple[int, int]]:
        """(route id, compound id) of active routes with a key point and no active schedule."""
        has_key = (
            select(PatrolCheckpoint.id)
            .where(PatrolCheckpoint.route_id == PatrolRoute.id, PatrolCheckpoint.key_point.is_(True))
            .exists()
        )
        has_schedule = (
            select(PatrolSchedule.id)
            .where(PatrolSchedule.route_id == PatrolRoute.id, PatrolSchedule.active.is_(True))
            .exists()
        )
        rows = self.session.execute(
            select(PatrolRoute.id, PatrolRoute.compound_id)
            .where(PatrolRoute.active.is_(True), has_key, ~has_schedule)
            .order_by(PatrolRoute.id)
        ).all()
        return [(int(r), int(c)) for r, c in rows]

    def lock_route(self, route_id: int) -> None:
        """Write the route row (a no-op UPDATE) so a second worker waits for this transaction."""
        self.session.execute(
            update(PatrolRoute)
            .where(PatrolRoute.id == route_id)
            .values(active=PatrolRoute.active)
            .execution_options(synchronize_session=False)
        )

    def has_active_schedule(self, route_id: int) -> bool:
        return (
            self.session.execute(
                select(PatrolSchedule.id).where(PatrolSchedule.route_id == route_id, PatrolSchedule.active.is_(True))
            ).first()
            is not None
        )

    def round_counts(self, compound_id: int, since: datetime | None) -> dict[str, int]:
        """Decided rounds by status."""
        stmt = select(PatrolRound.status, func.count()).where(PatrolRound.compound_id == compound_id)
        if since is not None:
            stmt = stmt.where(PatrolRound.decided_at >= since)
        return {str(s): int(n) for s, n in self.session.execute(stmt.group_by(PatrolRound.status)).all()}

    def recent_rounds(self, compound_id: int, limit: int = 20) -> list[PatrolRound]:
        return list(
            self.session.execute(
                select(PatrolRound)
                .where(PatrolRound.compound_id == compound_id)
                .order_by(PatrolRound.day.desc(), PatrolRound.id.desc())
                .limit(limit)
            ).scalars()
        )

    def recent_handovers(self, compound_id: int, limit: int = 10) -> list[ShiftHandover]:
        return list(
            self.session.execute(
                select(ShiftHandover)
                .where(ShiftHandover.compound_id == compound_id)
                .order_by(ShiftHandover.at.desc())
                .limit(limit)
            ).scalars()
        )
