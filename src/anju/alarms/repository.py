"""Every alarm query, scoped to what the caller may see (R11)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from anju.alarms.enums import AlarmStatus
from anju.alarms.models import Alarm, AlarmEscalation, AlarmTransition
from anju.core.auth import Principal
from anju.core.kit.pagination import paginate


def readable_alarms(who: Principal) -> Select[Alarm]:
    return select(Alarm).where(Alarm.compound_id.in_(who.compound_ids))


class AlarmRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_readable(self, who: Principal, alarm_id: int) -> Alarm | None:
        return self.session.execute(readable_alarms(who).where(Alarm.id == alarm_id)).scalar_one_or_none()

    def search(
        self,
        who: Principal,
        *,
        compound_id: int | None,
        status: list[AlarmStatus] | None,
        kind: str | None,
        severity: str | None,
        open_only: bool,
        device_id: int | None,
        since: datetime | None,
        offset: int,
        limit: int,
    ) -> tuple[list[Alarm], int]:
        stmt = readable_alarms(who)
        if compound_id is not None:
            stmt = stmt.where(Alarm.compound_id == compound_id)
        if status:
            stmt = stmt.where(Alarm.status.in_(status))
        if open_only:
            stmt = stmt.where(Alarm.closed_at.is_(None))
        if kind:
            stmt = stmt.where(Alarm.kind == kind)
        if severity:
            stmt = stmt.where(Alarm.severity == severity)
        if device_id is not None:
            stmt = stmt.where(Alarm.device_id == device_id)
        if since is not None:
            stmt = stmt.where(Alarm.created_at >= since)
        rows, total = paginate(self.session, stmt, order_by=Alarm.id.desc(), offset=offset, limit=limit)
        return list(rows), int(total)

    def of_device(self, device_id: int, compound_id: int, limit: int = 10) -> list[Alarm]:
        return list(
            self.session.execute(
                select(Alarm)
                .where(Alarm.device_id == device_id, Alarm.compound_id == compound_id)
                .order_by(Alarm.id.desc())
                .limit(limit)
            ).scalars()
        )

    def history(self, alarm_id: int) -> list[AlarmTransition]:
        return list(
            self.session.execute(
                select(AlarmTransition).where(AlarmTransition.alarm_id == alarm_id).order_by(AlarmTransition.id)
            ).scalars()
        )

    def escalations(self, alarm_id: int) -> list[AlarmEscalation]:
        return list(
            self.session.execute(
                select(AlarmEscalation).where(AlarmEscalation.alarm_id == alarm_id).order_by(AlarmEscalation.step)
            ).scalars()
        )

    def in_slot(self, compound_id: int, dedupe_key: str) -> Alarm | None:
        return self.session.execute(
            select(Alarm).where(Alarm.compound_id == compound_id, Alarm.dedupe_slot == dedupe_key)
        ).scalar_one_or_none()

    def last_closed_id(self, compound_id: int, dedupe_key: str) -> int | None:
        """The newest closed alarm of a key: a recurrence after closure refers to it."""
        return self.session.execute(
            select(Alarm.id)
            .where(Alarm.compound_id == compound_id, Alarm.dedupe_key == dedupe_key, Alarm.closed_at.is_not(None))
            .order_by(Alarm.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def bump(self, alarm_id: int, *, now: datetime) -> bool:
        """A repeat: counter + 1, atomically (no lost increments under concurrency)."""
        res = self.session.execute(
            update(Alarm)
            .where(Alarm.id == alarm_id, Alarm.dedupe_slot.is_not(None))
            .values(occurrences=Alarm.occurrences + 1, last_seen_at=now, cleared_by_device=False, cleared_at=None)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def release_slot(self, alarm_id: int) -> None:
        self.session.execute(
            update(Alarm)
            .where(Alarm.id == alarm_id)
            .values(dedupe_slot=None)
            .execution_options(synchronize_session=False)
        )

    def cas_status(self, alarm_id: int, *, expected: AlarmStatus, values: dict[str, Any]) -> bool:
        """Compare-and-swap on status (R6): False when another user moved the alarm first."""
        res = self.session.execute(
            update(Alarm)
            .where(Alarm.id == alarm_id, Alarm.status == expected)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def mark_cleared(self, alarm_id: int, *, now: datetime) -> bool:
        res = self.session.execute(
            update(Alarm)
            .where(Alarm.id == alarm_id, Alarm.cleared_by_device.is_(False))
            .values(cleared_by_device=True, cleared_at=now)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined]

    def add_transition(self, row: AlarmTransition) -> None:
        self.session.add(row)

    def feed_after(
        self, compound_ids: frozenset[int], after_id: int, limit: int = 200
    ) -> list[tuple[AlarmTransition, Alarm]]:
        rows = self.session.execute(
            select(AlarmTransition, Alarm)
            .join(Alarm, Alarm.id == AlarmTransition.alarm_id)
            .where(AlarmTransition.id > after_id, AlarmTransition.compound_id.in_(compound_ids))
            .order_by(AlarmTransition.id)
            .limit(limit)
        ).all()
        return [(t, a) for t, a in rows]

    def transition_ids_between(self, compound_ids: frozenset[int], after_id: int, up_to: int) -> set[int]:
        rows = self.session.execute(
            select(AlarmTransition.id).where(
                AlarmTransition.id > after_id,
                AlarmTransition.id <= up_to,
                AlarmTransition.compound_id.in_(compound_ids),
            )
        ).scalars()
        return set(rows)

    def last_transition_id(self) -> int:
        return int(self.session.execute(select(func.coalesce(func.max(AlarmTransition.id), 0))).scalar_one())

    def counts(self, compound_ids: frozenset[int]) -> list[tuple[int, str, str, str, int]]:
        rows = self.session.execute(
            select(Alarm.compound_id, Alarm.kind, Alarm.severity, Alarm.status, func.count())
            .where(Alarm.compound_id.in_(compound_ids))
            .group_by(Alarm.compound_id, Alarm.kind, Alarm.severity, Alarm.status)
        ).all()
        return [(int(c), str(k), str(s), str(st), int(n)) for c, k, s, st, n in rows]
