"""Alarm centre rules: raise with dedupe, clear, and the human state machine (CAS, R6; R-A4; R-A8)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.accounts.service import staff_of
from anju.alarms.enums import (
    CLOSED_STATUSES,
    NOTE_REQUIRED,
    TRANSITIONS,
    AlarmAction,
    AlarmOutcome,
    AlarmSeverity,
    AlarmStatus,
)
from anju.alarms.escalation import escalation_service
from anju.alarms.events import (
    AlarmCleared,
    AlarmRaised,
    AlarmRequested,
    AlarmStateChanged,
    BuildingNotifyRequested,
)
from anju.alarms.exceptions import (
    AlarmNotFound,
    AlarmPlaceNotFound,
    AlarmStateConflict,
    BadDispatchTarget,
    NoteRequired,
    ReviewRequired,
)
from anju.alarms.labels import ACTION_LABELS, STATUS_LABELS
from anju.alarms.models import Alarm, AlarmTransition
from anju.alarms.permissions import AlarmsPerm
from anju.alarms.policies import policy_for
from anju.alarms.repository import AlarmRepository
from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.rbac import Role, allowed


@dataclass(frozen=True)
class RaiseResult:
    alarm_id: int
    created: bool  # False: a repeat aggregated into an open alarm


def _parse_time(value: str | None, default: datetime) -> datetime:
    if not value:
        return default
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return default
    return t if t.tzinfo is not None else default


def raised_event(alarm: Alarm) -> AlarmRaised:
    return AlarmRaised(
        alarm_id=alarm.id,
        compound_id=alarm.compound_id,
        kind=alarm.kind,
        severity=alarm.severity,
        source=alarm.source,
        building_id=alarm.building_id,
        unit_id=alarm.unit_id,
        floor=alarm.floor,
        house_id=alarm.house_id,
        title=alarm.title,
        device_id=alarm.device_id,
        status=str(alarm.status),
    )


class AlarmService:
    def raise_or_refresh(
        self, session: Session, *, request: AlarmRequested, now: datetime | None = None, raised_by: str = "automation"
    ) -> RaiseResult:
        """Raise an alarm, or count a repeat of the open one with the same key (a new one once it is closed)."""
        now = now or utcnow()
        repo = AlarmRepository(session)
        policy = policy_for(session, compound_id=request.compound_id, kind=request.kind, severity=request.severity)
        for _ in range(3):
            current = repo.in_slot(request.compound_id, request.dedupe_key)
            # The slot is held until the alarm is closed: a recurring condition from the same source and
            # rule raises the open alarm's counter, however long it was quiet, and never opens a second
            # alarm beside it (issue 17 item 3).
            if current is not None and repo.bump(current.id, now=now):
                repo.add_transition(
                    AlarmTransition(
                        alarm_id=current.id,
                        compound_id=current.compound_id,
                        action=AlarmAction.repeated,
                        from_status=str(current.status),
                        to_status=str(current.status),
                        at=now,
                        reason_key="alarms.hist.repeat",
                        reason_params={"source": request.source},
                    )
                )
                return RaiseResult(current.id, created=False)
            alarm = self._new_alarm(request, now=now, raised_by=raised_by)
            alarm.previous_alarm_id = repo.last_closed_id(request.compound_id, request.dedupe_key)
            try:
                with session.begin_nested():  # a rival raiser of the same key may win the slot
                    session.add(alarm)
                    session.flush()
            except IntegrityError:
                continue
            repo.add_transition(
                AlarmTransition(
                    alarm_id=alarm.id,
                    compound_id=alarm.compound_id,
                    action=AlarmAction.created,
                    from_status=None,
                    to_status=str(alarm.status),
                    at=now,
                    reason_key="alarms.hist.created_user" if raised_by == "user" else "alarms.hist.created",
                    reason_params={"source": request.source},
                )
            )
            if alarm.status == AlarmStatus.new:
                # Person alarms (R-A4) start neither escalation nor linkage until reviewed.
                escalation_service.schedule(session, alarm=alarm, chain=policy["chain"], now=now)
            events.publish(session, raised_event(alarm), compound_id=alarm.compound_id)
            session.flush()
            return RaiseResult(alarm.id, created=True)
        raise AlarmStateConflict("could not take the dedupe slot", zh="告警去重冲突，请重试")

    def _new_alarm(self, r: AlarmRequested, *, now: datetime, raised_by: str) -> Alarm:
        review = (r.person_id is not None or r.needs_review) and raised_by == "automation"
        return Alarm(
            compound_id=r.compound_id,
            kind=r.kind,
            severity=AlarmSeverity(r.severity),
            source=r.source,
            dedupe_key=r.dedupe_key,
            dedupe_slot=r.dedupe_key,
            title=r.title[:255],
            title_key=r.title_key,
            title_params=dict(r.title_params) if r.title_key else None,
            status=AlarmStatus.pending_review if review else AlarmStatus.new,
            building_id=r.building_id,
            unit_id=r.unit_id,
            floor=r.floor,
            house_id=r.house_id,
            person_id=r.person_id,
            device_id=r.device_id,
            evidence=r.evidence,
            raised_by=raised_by,
            occurred_at=_parse_time(r.occurred_at, now),
            created_at=now,
            last_seen_at=now,
            occurrences=1,
        )

    def clear_by_source(
        self,
        session: Session,
        *,
        compound_id: int,
        dedupe_key: str,
        now: datetime | None = None,
        reason_key: str = "alarms.hist.cleared",
    ) -> int | None:
        """The source is normal again: flag the open alarm cleared-by-device (a human still closes it)."""
        now = now or utcnow()
        repo = AlarmRepository(session)
        alarm = repo.in_slot(compound_id, dedupe_key)
        if alarm is None or not repo.mark_cleared(alarm.id, now=now):
            return None
        repo.add_transition(
            AlarmTransition(
                alarm_id=alarm.id,
                compound_id=compound_id,
                action=AlarmAction.cleared,
                from_status=str(alarm.status),
                to_status=str(alarm.status),
                at=now,
                reason_key=reason_key,  # a message key: what the history line says
            )
        )
        policy = policy_for(session, compound_id=compound_id, kind=alarm.kind, severity=alarm.severity)
        if policy.get("stop_on_clear", True):
            escalation_service.cancel(session, alarm_id=alarm.id, from_step=1)
        events.publish(
            session,
            AlarmCleared(alarm_id=alarm.id, compound_id=compound_id, kind=alarm.kind, source=alarm.source),
            compound_id=compound_id,
        )
        return alarm.id

    def check_place(
        self,
        session: Session,
        *,
        compound_id: int,
        building_id: int | None,
        unit_id: int | None,
        house_id: int | None,
    ) -> None:
        """Every place id of an alarm is in its compound and they nest (house in unit in building), else 404."""
        from anju.registry.models import Building, House, Unit

        found: dict[str, tuple[int, int | None, int | None] | None] = {}
        if building_id is not None:
            b = session.execute(select(Building.compound_id).where(Building.id == building_id)).first()
            found["building"] = (b[0], building_id, None) if b else None
        if unit_id is not None:
            u = session.execute(select(Unit.compound_id, Unit.building_id).where(Unit.id == unit_id)).first()
            found["unit"] = (u[0], u[1], unit_id) if u else None
        if house_id is not None:
            row = session.execute(
                select(House.compound_id, House.building_id, House.unit_id).where(House.id == house_id)
            ).first()
            found["house"] = (row[0], row[1], row[2]) if row else None
        for name, hit in found.items():
            if hit is None or hit[0] != compound_id:
                raise AlarmPlaceNotFound(f"{name} not found in compound {compound_id}")
            if building_id is not None and hit[1] != building_id:
                raise AlarmPlaceNotFound(f"{name} is not in building {building_id}")
            if unit_id is not None and name == "house" and hit[2] != unit_id:
                raise AlarmPlaceNotFound(f"house is not in unit {unit_id}")

    def get(self, session: Session, *, by: Principal, alarm_id: int) -> Alarm:
        alarm = AlarmRepository(session).get_readable(by, alarm_id)
        if alarm is None:
            raise AlarmNotFound(f"alarm {alarm_id}")
        return alarm

    def of_device(self, session: Session, *, device_id: int, compound_id: int, limit: int = 10) -> list[Alarm]:
        """A device's newest alarms (the device panel; the caller has already read the device in scope)."""
        return AlarmRepository(session).of_device(device_id, compound_id, limit)

    def transition(
        self,
        session: Session,
        *,
        by: Principal,
        alarm_id: int,
        action: AlarmAction,
        reason: str | None = None,
        dispatch_to: int | None = None,
        outcome: AlarmOutcome | None = None,
        now: datetime | None = None,
    ) -> Alarm:
        """Move an alarm one step, recording actor and reason; a concurrent move loses with 409.

        Closing needs a note (the disposal, or why it was false) and resolving an outcome category."""
        now = now or utcnow()
        reason = (reason or "").strip() or None
        if action in NOTE_REQUIRED and reason is None:
            raise NoteRequired(
                f"{action.value} needs a note",
                fields=[{"field": "reason", "message": "required / 必填", "type": "missing"}],
            )
        if action == AlarmAction.false_alarm:
            outcome = AlarmOutcome.false_alarm
        elif action == AlarmAction.resolved:
            outcome = outcome or AlarmOutcome.handled
        repo = AlarmRepository(session)
        alarm = self.get(session, by=by, alarm_id=alarm_id)
        allowed_from, to = TRANSITIONS[action]
        old = alarm.status
        if old == AlarmStatus.pending_review and action != AlarmAction.reviewed and action != AlarmAction.false_alarm:
            raise ReviewRequired(f"alarm {alarm_id} awaits human review")
        if old not in allowed_from:
            st = STATUS_LABELS.get(str(old), (str(old), str(old)))
            act = ACTION_LABELS.get(action.value, (action.value, action.value))
            raise AlarmStateConflict(
                f"alarm {alarm_id} is {st[1].lower()}; cannot {act[1]}",
                zh=f"告警当前为「{st[0]}」，不能执行「{act[0]}」",
            )
        values: dict[str, object] = {"status": to}
        if action == AlarmAction.acknowledged:
            values.update(acknowledged_by=by.user_id, acknowledged_at=now)
        elif action == AlarmAction.dispatched:
            if dispatch_to is None or not self._is_staff_of(session, dispatch_to, alarm.compound_id):
                raise BadDispatchTarget(f"user {dispatch_to} cannot take alarms of this compound")
            values.update(dispatched_to=dispatch_to, dispatched_at=now)
            if alarm.acknowledged_at is None:
                values.update(acknowledged_by=by.user_id, acknowledged_at=now)
        if to in CLOSED_STATUSES:
            values.update(closed_at=now, dedupe_slot=None, outcome=outcome.value if outcome else None)
        if not repo.cas_status(alarm.id, expected=old, values=values):
            # Two guards pressed the button at once; the first one won.
            raise AlarmStateConflict(f"alarm {alarm_id} was changed by someone else", zh="告警已被他人处理")
        repo.add_transition(
            AlarmTransition(
                alarm_id=alarm.id,
                compound_id=alarm.compound_id,
                action=action,
                from_status=str(old),
                to_status=to.value,
                actor_user_id=by.user_id,
                reason=reason,
                at=now,
            )
        )
        session.refresh(alarm)
        if action == AlarmAction.reviewed:
            policy = policy_for(session, compound_id=alarm.compound_id, kind=alarm.kind, severity=alarm.severity)
            escalation_service.schedule(session, alarm=alarm, chain=policy["chain"], now=now)
            events.publish(session, raised_event(alarm), compound_id=alarm.compound_id)
        else:
            # A human has it: later escalation steps are not needed.
            escalation_service.cancel(session, alarm_id=alarm.id, from_step=1)
        events.publish(
            session,
            AlarmStateChanged(
                alarm_id=alarm.id,
                compound_id=alarm.compound_id,
                kind=alarm.kind,
                old_status=str(old),
                new_status=to.value,
                actor_user_id=by.user_id,
                reason=reason,
                outcome=outcome.value if outcome and to in CLOSED_STATUSES else None,
            ),
            compound_id=alarm.compound_id,
        )
        if to in CLOSED_STATUSES:
            events.publish(
                session,
                AlarmCleared(alarm_id=alarm.id, compound_id=alarm.compound_id, kind=alarm.kind, source=alarm.source),
                compound_id=alarm.compound_id,
            )
        session.flush()
        return alarm

    def notify_building(
        self, session: Session, *, by: Principal, alarm_id: int, message: str, now: datetime | None = None
    ) -> Alarm:
        """通知本楼: the alarm's building's residents get an emergency notice (through the outbox), once per call."""
        from anju.alarms.labels import kind_label
        from anju.core.errors import Invalid

        by.require(AlarmsPerm.handle)
        alarm = self.get(session, by=by, alarm_id=alarm_id)
        text = " ".join(message.split())[:500]
        if alarm.building_id is None or alarm.closed_at is not None:
            raise Invalid("the alarm has no building, or is closed", zh="该告警没有楼栋或已关闭")
        if len(text) < 2:
            raise Invalid(
                "write what the residents should do",
                zh="请填写给住户的提示",
                fields=[{"field": "message", "message": "required / 必填", "type": "missing"}],
            )
        zh, en = kind_label(alarm.kind)
        events.publish(
            session,
            BuildingNotifyRequested(
                alarm_id=alarm.id,
                compound_id=alarm.compound_id,
                building_id=alarm.building_id,
                title=f"【紧急通知 / Emergency】{zh} / {en}"[:128],
                body=text,
            ),
            compound_id=alarm.compound_id,
        )
        AlarmRepository(session).add_transition(
            AlarmTransition(
                alarm_id=alarm.id,
                compound_id=alarm.compound_id,
                action=AlarmAction.linked,
                from_status=str(alarm.status),
                to_status=str(alarm.status),
                actor_user_id=by.user_id,
                reason=text,
                reason_key="alarms.hist.building_notified",
                at=now or utcnow(),
            )
        )
        session.flush()
        return alarm

    def note_link(
        self, session: Session, *, alarm_id: int, compound_id: int, key: str, params: dict[str, object]
    ) -> bool:
        """Its linked work order moved: a history line on the alarm (once per order and key)."""
        alarm = session.get(Alarm, alarm_id)
        if alarm is None or alarm.compound_id != compound_id:
            return False
        seen = session.execute(
            select(AlarmTransition.id).where(
                AlarmTransition.alarm_id == alarm_id,
                AlarmTransition.action == AlarmAction.linked,
                AlarmTransition.reason_key == key,
            )
        ).first()
        if seen is not None:
            return False  # the event was delivered twice
        AlarmRepository(session).add_transition(
            AlarmTransition(
                alarm_id=alarm_id,
                compound_id=compound_id,
                action=AlarmAction.linked,
                from_status=str(alarm.status),
                to_status=str(alarm.status),
                reason_key=key,
                reason_params=dict(params),
                at=utcnow(),
            )
        )
        session.flush()
        return True

    def _is_staff_of(self, session: Session, user_id: int, compound_id: int) -> bool:
        return bool(dispatch_targets(session, compound_id, user_id=user_id))


alarm_service = AlarmService()


@dataclass(frozen=True)
class HandoverSummary:
    """交接班摘要: what a shift leaves to the next one."""

    since: datetime
    until: datetime
    raised: dict[str, int]  # severity -> alarms raised in the shift
    closed: dict[str, int]  # outcome -> alarms closed in the shift
    still_open: list[Alarm]  # every open alarm now, most severe first
    repeats: int  # repeats counted on open alarms during the shift


def handover_summary(
    session: Session, *, by: Principal, compound_id: int, hours: int = 12, now: datetime | None = None
) -> HandoverSummary:
    """The shift's alarms for the handover: raised by severity, closed by outcome, and what is still open."""
    from datetime import timedelta

    if not by.in_scope(compound_id):
        raise AlarmNotFound(f"compound {compound_id}")
    until = now or utcnow()
    since = until - timedelta(hours=max(1, min(hours, 72)))
    raised = dict(
        session.execute(
            select(Alarm.severity, func.count())
            .where(Alarm.compound_id == compound_id, Alarm.created_at >= since, Alarm.created_at <= until)
            .group_by(Alarm.severity)
        )
        .tuples()
        .all()
    )
    # Grouped in Python: PostgreSQL sees two coalesce(…, $n) with different parameters as different expressions.
    closed: dict[str, int] = {}
    for outcome, n in session.execute(
        select(Alarm.outcome, func.count())
        .where(Alarm.compound_id == compound_id, Alarm.closed_at >= since, Alarm.closed_at <= until)
        .group_by(Alarm.outcome)
    ).tuples():
        key = outcome or "handled"
        closed[key] = closed.get(key, 0) + n
    still_open = list(
        session.execute(
            select(Alarm)
            .where(Alarm.compound_id == compound_id, Alarm.closed_at.is_(None))
            .order_by(Alarm.severity, Alarm.last_seen_at.desc())
            .limit(100)
        ).scalars()
    )
    repeats = int(
        session.execute(
            select(func.count(AlarmTransition.id)).where(
                AlarmTransition.compound_id == compound_id,
                AlarmTransition.action == AlarmAction.repeated,
                AlarmTransition.at >= since,
            )
        ).scalar_one()
    )
    return HandoverSummary(
        since,
        until,
        {str(k): int(v) for k, v in raised.items()},
        {str(k): int(v) for k, v in closed.items()},
        still_open,
        repeats,
    )


def dispatch_roles() -> frozenset[Role]:
    """Who may receive a dispatched alarm: the roles that may handle alarms (guards, staff, managers, admins)."""
    return frozenset(r for r in Role if allowed(r, AlarmsPerm.handle))


def dispatch_targets(session: Session, compound_id: int, *, user_id: int | None = None) -> list[User]:
    """Active staff of the compound an alarm may be dispatched to (the control room lists the same people)."""
    return staff_of(session, compound_id, dispatch_roles(), user_id=user_id)


def open_alarm_count(session: Session, *, compound_id: int) -> int:
    """Alarms of a compound still waiting for someone (not resolved, not a false alarm): a manager's to-do."""
    stmt = select(func.count(Alarm.id)).where(Alarm.compound_id == compound_id, Alarm.status.not_in(CLOSED_STATUSES))
    return int(session.execute(stmt).scalar_one())


@dataclass(frozen=True)
class AlarmFact:
    """One alarm as maps and reports read it: kind, severity, place and times (no people, no free text)."""

    id: int
    compound_id: int
    kind: str
    severity: str
    status: str
    source: str
    building_id: int | None
    device_id: int | None
    occurred_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None


def alarm_facts(
    session: Session,
    *,
    compound_ids: list[int],
    since: datetime | None = None,
    until: datetime | None = None,
    open_only: bool = False,
    kinds: frozenset[str] | None = None,
) -> list[AlarmFact]:
    """Alarms of some compounds that occurred in [since, until) (or all open ones), as light read-only rows."""
    cols = (
        Alarm.id,
        Alarm.compound_id,
        Alarm.kind,
        Alarm.severity,
        Alarm.status,
        Alarm.source,
        Alarm.building_id,
        Alarm.device_id,
        Alarm.occurred_at,
        Alarm.acknowledged_at,
        Alarm.closed_at,
    )
    stmt = select(*cols).where(Alarm.compound_id.in_(compound_ids))
    if open_only:
        # The open statuses listed (not "not closed"): the (compound_id, status) index finds them among a year's rows.
        stmt = stmt.where(Alarm.status.in_(sorted(OPEN_STATUSES)))
    if since is not None:
        stmt = stmt.where(Alarm.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(Alarm.occurred_at < until)
    if kinds is not None:
        stmt = stmt.where(Alarm.kind.in_(sorted(kinds)))
    # Plain rows through the session's connection: a year of a compound's alarms can be 10^5 rows, and the ORM's
    # row machinery (not needed for tuples of columns) took most of a yearly report's time. The connection does not
    # autoflush as session.execute does: flush first, so rows added in this transaction are counted.
    session.flush()
    return [
        AlarmFact(i, c, k, str(sev), str(st), src, b, d, occ, ack, closed)
        for i, c, k, sev, st, src, b, d, occ, ack, closed in session.connection().execute(stmt.order_by(Alarm.id))
    ]


@dataclass(frozen=True)
class OpenSourceAlarm:
    """An open alarm of a given source, as another domain reads it (emergency's live blocked exits)."""

    id: int
    kind: str
    severity: str
    status: str
    source: str
    title: str
    zone: str | None  # the analytics zone of a video alarm (its evidence), else None
    occurred_at: datetime
    cleared_at: datetime | None  # the source reported normal again (a human still closes the alarm)


def open_alarms_of_sources(session: Session, *, compound_id: int, sources: list[str]) -> list[OpenSourceAlarm]:
    """The compound's alarms from these sources ("device:42", "video:camera:7") that are still open (not resolved,
    not a false alarm), oldest first."""
    if not sources:
        return []
    stmt = (
        select(Alarm)
        .where(
            Alarm.compound_id == compound_id,
            Alarm.source.in_(sorted(set(sources))),
            Alarm.status.not_in(CLOSED_STATUSES),
        )
        .order_by(Alarm.id)
    )
    out = []
    for a in session.execute(stmt).scalars():
        zone = (a.evidence or {}).get("zone")
        out.append(
            OpenSourceAlarm(
                a.id,
                a.kind,
                str(a.severity),
                str(a.status),
                a.source,
                a.title,
                str(zone) if zone else None,
                a.occurred_at,
                a.cleared_at,
            )
        )
    return out


@dataclass
class AlarmPeriod:
    """A period's alarms counted in SQL (a compound-year can be 10^6 rows): per kind, status, building and China
    hour of week; the acknowledge and close delays summed; closed ones per source, device and kind."""

    cells: list[tuple[str, str, int | None, int, int]]  # (kind, status, building id, hour of week, n)
    acknowledged: int
    ack_seconds: float
    closed: int
    close_seconds: float
    closed_by_source: list[tuple[str, int | None, str, str, int]]  # (source, device id, kind, status, n)


def _seconds_between(session: Session, later: Any, earlier: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def alarm_period(session: Session, *, compound_id: int, since: datetime, until: datetime | None = None) -> AlarmPeriod:
    """The figures of `alarm_facts(since, until)` a report or a tile counts, without fetching the rows."""
    from anju.core.rollup import epoch_hour

    session.flush()
    in_period: tuple[Any, ...] = (Alarm.compound_id == compound_id, Alarm.occurred_at >= since)
    if until is not None:
        in_period += (Alarm.occurred_at < until,)
    # China hour of week (Monday 00:00 = 0): UTC epoch hours + 8; 1970-01-01 was a Thursday (3 days after Monday).
    how = (epoch_hour(session, Alarm.occurred_at) + 8 + 72) % 168
    conn = session.connection()
    ack = _seconds_between(session, Alarm.acknowledged_at, Alarm.occurred_at)
    close = _seconds_between(session, Alarm.closed_at, Alarm.occurred_at)
    cells: list[tuple[str, str, int | None, int, int]] = []
    n_ack = n_close = 0
    s_ack = s_close = 0.0
    # One pass over the period's rows: the groups and, per group, the delays' counts and sums.
    for k, st, b, h, n, na, sa, nc, sc in conn.execute(
        select(
            Alarm.kind,
            Alarm.status,
            Alarm.building_id,
            how,
            func.count(),
            func.count(Alarm.acknowledged_at),
            func.sum(ack),
            func.count(Alarm.closed_at),
            func.sum(close),
        )
        .where(*in_period)
        .group_by(Alarm.kind, Alarm.status, Alarm.building_id, how)
    ):
        cells.append((str(k), str(st), b, int(h), int(n)))
        n_ack, s_ack = n_ack + int(na), s_ack + float(sa or 0)
        n_close, s_close = n_close + int(nc), s_close + float(sc or 0)
    closed_statuses = sorted(s.value for s in CLOSED_STATUSES)
    by_source = [
        (str(src), d, str(k), str(st), int(n))
        for src, d, k, st, n in conn.execute(
            select(Alarm.source, Alarm.device_id, Alarm.kind, Alarm.status, func.count())
            .where(*in_period, Alarm.status.in_(closed_statuses))
            .group_by(Alarm.source, Alarm.device_id, Alarm.kind, Alarm.status)
        )
    ]
    return AlarmPeriod(cells, n_ack, s_ack, n_close, s_close, by_source)


OPEN_STATUSES = frozenset(s.value for s in AlarmStatus) - frozenset(s.value for s in CLOSED_STATUSES)


def open_alarm_counts(session: Session, *, compound_ids: list[int]) -> Counter[tuple[int, str]]:
    """Open alarms per (compound, severity), counted in SQL (the open statuses through the compound/status index)."""
    rows = session.execute(
        select(Alarm.compound_id, Alarm.severity, func.count())
        .where(Alarm.compound_id.in_(compound_ids), Alarm.status.in_(sorted(OPEN_STATUSES)))
        .group_by(Alarm.compound_id, Alarm.severity)
    )
    return Counter({(int(c), str(sev)): int(n) for c, sev, n in rows})


def newest_alarm_id(session: Session) -> int:
    """The highest alarm id (all compounds): a watermark for figures fitted from alarms."""
    return int(session.execute(select(func.max(Alarm.id))).scalar_one() or 0)


def latest_theft_alarm_after(
    session: Session, *, compound_id: int, after_id: int, since: datetime, until: datetime, kinds: frozenset[str]
) -> bool:
    """Is there an alarm of these kinds with an id above `after_id` that occurred in [since, until)? (A late
    arrival into a period a figure was fitted over; the id range is read first, it holds only the newest rows.)"""
    found = session.execute(
        select(Alarm.id)
        .where(
            Alarm.id > after_id,
            Alarm.compound_id == compound_id,
            Alarm.kind.in_(sorted(kinds)),
            Alarm.occurred_at >= since,
            Alarm.occurred_at < until,
        )
        .limit(1)
    ).first()
    return found is not None


def alarm_counts(
    session: Session,
    *,
    compound_ids: list[int],
    since: datetime,
    until: datetime | None = None,
    kinds: frozenset[str] | None = None,
) -> dict[int, int]:
    """How many alarms (of these kinds) each compound had occur in [since, until) (see alarm_kind_counts)."""
    out = dict.fromkeys(compound_ids, 0)
    for (c, kind), n in alarm_kind_counts(session, compound_ids=compound_ids, since=since, until=until).items():
        if kinds is None or kind in kinds:
            out[c] = out.get(c, 0) + n
    return out


def alarm_kind_counts(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime | None = None
) -> Counter[tuple[int, str]]:
    """Alarms per (compound, kind) that occurred in [since, until): closed hours summed in SQL from the hourly
    rollup, the edges and the open hours counted in the alarm table (as alarm_hour_counts splits)."""
    from anju.alarms.models import AlarmHourly
    from anju.alarms.rollups import NAME
    from anju.core.rollup import split

    plan = split(session, NAME, since, until)
    out: Counter[tuple[int, str]] = Counter()
    for a, b in plan.raw:
        stmt = (
            select(Alarm.compound_id, Alarm.kind, func.count())
            .where(Alarm.compound_id.in_(compound_ids), Alarm.occurred_at >= a)
            .group_by(Alarm.compound_id, Alarm.kind)
        )
        if b is not None:
            stmt = stmt.where(Alarm.occurred_at < b)
        for c, k, n in session.execute(stmt):
            out[(int(c), str(k))] += int(n)
    if plan.rolled is not None:
        r = AlarmHourly
        rolled = (
            select(r.compound_id, r.kind, func.sum(r.n))
            .where(r.compound_id.in_(compound_ids), r.hour >= plan.rolled[0], r.hour < plan.rolled[1])
            .group_by(r.compound_id, r.kind)
        )
        for c, k, n in session.execute(rolled):
            out[(int(c), str(k))] += int(n or 0)
    return out


def latest_alarm_change(session: Session, *, compound_ids: list[int]) -> tuple[int, int]:
    """(newest alarm id, newest transition id) of some compounds: a cheap 'has anything changed' cursor."""
    a = session.execute(select(func.max(Alarm.id)).where(Alarm.compound_id.in_(compound_ids))).scalar_one()
    t = session.execute(
        select(func.max(AlarmTransition.id)).where(AlarmTransition.compound_id.in_(compound_ids))
    ).scalar_one()
    return int(a or 0), int(t or 0)


@dataclass(frozen=True)
class AlarmHourCount:
    """Alarms that occurred in one hour, by kind, severity, outcome ("open" until closed) and place (counts only)."""

    compound_id: int
    hour: datetime  # UTC hour start
    kind: str
    severity: str
    outcome: str
    place: str  # "b:<building id>" or "p:<source>"
    count: int


def alarm_hour_counts(
    session: Session,
    *,
    compound_ids: list[int],
    since: datetime,
    until: datetime | None = None,
    kinds: frozenset[str] | None = None,
) -> list[AlarmHourCount]:
    """Alarms of some compounds that occurred in [since, until), counted per hour (issue 19).

    Closed hours come from the hourly rollup (`anju.alarms.rollups`), the edges and the open hours from the alarm
    table, through the same call on SQLite and PostgreSQL."""
    from anju.alarms.models import AlarmHourly
    from anju.alarms.rollups import NAME, outcome_col, place_col
    from anju.core.rollup import epoch_hour, from_epoch_hour, split

    plan = split(session, NAME, since, until)
    totals: dict[tuple[int, datetime, str, str, str, str], int] = {}

    def add(rows: Any) -> None:
        for c, hr, k, sev, o, p, n in rows:
            hour = hr if isinstance(hr, datetime) else from_epoch_hour(hr)
            key = (int(c), hour, str(k), str(sev), str(o), str(p))
            totals[key] = totals.get(key, 0) + int(n)

    for a, b in plan.raw:
        h = epoch_hour(session, Alarm.occurred_at)
        o, p = outcome_col(), place_col()
        stmt = (
            select(Alarm.compound_id, h, Alarm.kind, Alarm.severity, o, p, func.count())
            .where(Alarm.compound_id.in_(compound_ids), Alarm.occurred_at >= a)
            .group_by(Alarm.compound_id, h, Alarm.kind, Alarm.severity, o, p)
        )
        if b is not None:
            stmt = stmt.where(Alarm.occurred_at < b)
        if kinds is not None:
            stmt = stmt.where(Alarm.kind.in_(sorted(kinds)))
        add(session.execute(stmt))
    if plan.rolled is not None:
        r = AlarmHourly
        rolled = select(r.compound_id, r.hour, r.kind, r.severity, r.outcome, r.place, r.n).where(
            r.compound_id.in_(compound_ids), r.hour >= plan.rolled[0], r.hour < plan.rolled[1]
        )
        if kinds is not None:
            rolled = rolled.where(r.kind.in_(sorted(kinds)))
        add(session.execute(rolled))
    return [AlarmHourCount(*key, n) for key, n in totals.items() if n]
