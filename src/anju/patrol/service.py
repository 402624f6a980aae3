"""Patrol rules: check-ins by QR code or NFC tag, key-point gaps (R-W5), missed rounds, completion figures.

A gap or a missed round asks the alarm centre for an alarm by publishing AlarmRequested; the unique
(checkpoint, gap start) and (schedule, day) rows make sure two workers raise it once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRequested
from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Invalid, NotFound
from anju.patrol.models import (
    PatrolCheckin,
    PatrolCheckpoint,
    PatrolGapAlert,
    PatrolRound,
    PatrolRoute,
    PatrolSchedule,
    ShiftHandover,
)

CST = timezone(timedelta(hours=8))


class CheckpointNotFound(NotFound):
    code = "patrol_checkpoint_not_found"
    message_zh = "巡更点不存在或不属于您的小区"
    message_en = "Checkpoint not found in your compounds"


def check_in(session: Session, *, by: Principal, code: str | None = None, nfc_tag: str | None = None,
             now: datetime | None = None) -> PatrolCheckin:
    """Record a scan; a code of another compound is a 404 (no hint that it exists)."""
    if not code and not nfc_tag:
        raise Invalid("scan a QR code or an NFC tag", zh="请扫描巡更点二维码或 NFC 标签",
                      fields=[{"field": "code", "message": "required / 必填"}])
    cond = PatrolCheckpoint.code == code if code else PatrolCheckpoint.nfc_tag == nfc_tag
    point = session.execute(select(PatrolCheckpoint).where(cond)).scalar_one_or_none()
    if point is None or not by.in_scope(point.compound_id):
        raise CheckpointNotFound(f"checkpoint {code or nfc_tag}")
    row = PatrolCheckin(compound_id=point.compound_id, checkpoint_id=point.id, route_id=point.route_id,
                        user_id=by.user_id, method="qr" if code else "nfc", at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def handover(session: Session, *, by: Principal, compound_id: int, to_user_id: int | None, note: str,
             now: datetime | None = None) -> ShiftHandover:
    if not by.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    row = ShiftHandover(compound_id=compound_id, from_user_id=by.user_id, to_user_id=to_user_id, note=note,
                        at=now or utcnow())
    session.add(row)
    session.flush()
    return row


def last_checkins(session: Session, *, compound_id: int | None = None) -> dict[int, datetime]:
    stmt = select(PatrolCheckin.checkpoint_id, func.max(PatrolCheckin.at)).group_by(PatrolCheckin.checkpoint_id)
    if compound_id is not None:
        stmt = stmt.where(PatrolCheckin.compound_id == compound_id)
    return {int(c): at for c, at in session.execute(stmt)}


def _alarm(session: Session, *, compound_id: int, source: str, key: str, title: str, building_id: int | None,
           evidence: dict[str, object]) -> None:
    events.publish(session, AlarmRequested(compound_id=compound_id, kind="patrol_missed", severity="major",
                                           source=source, dedupe_key=key, title=title, building_id=building_id,
                                           evidence=evidence), compound_id=compound_id)


def check_gaps(session: Session, *, now: datetime | None = None) -> list[int]:
    """R-W5: key points whose last check-in is older than their maximum interval raise one alarm per gap."""
    now = now or utcnow()
    points = session.execute(select(PatrolCheckpoint).join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
                             .where(PatrolCheckpoint.key_point.is_(True), PatrolRoute.active.is_(True),
                                    PatrolCheckpoint.max_interval_minutes.is_not(None))).scalars().all()
    last = last_checkins(session)
    raised: list[int] = []
    for p in points:
        since = last.get(p.id, p.created_at)
        if now - since <= timedelta(minutes=p.max_interval_minutes or 0):
            continue
        try:
            with session.begin_nested():
                session.add(PatrolGapAlert(compound_id=p.compound_id, checkpoint_id=p.id, gap_from=since, raised_at=now))
        except IntegrityError:
            continue  # this gap was already reported (by us earlier, or by another worker)
        gap = int((now - since).total_seconds() // 60)
        _alarm(session, compound_id=p.compound_id, source=f"patrol:checkpoint:{p.id}",
               key=f"patrol:gap:{p.id}:{since.isoformat()}", building_id=p.building_id,
               title=f"巡更超时：{p.name} 已 {gap} 分钟无人打卡（上限 {p.max_interval_minutes} 分钟）",
               evidence={"checkpoint_id": p.id, "last_checkin": since.isoformat(), "gap_minutes": gap,
                         "max_interval_minutes": p.max_interval_minutes})
        raised.append(p.id)
    session.flush()
    return raised


def window_of(s: PatrolSchedule, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=CST) + timedelta(minutes=s.start_minute)
    return start.astimezone(UTC), (start + timedelta(minutes=s.window_minutes)).astimezone(UTC)


def check_rounds(session: Session, *, now: datetime | None = None) -> list[tuple[int, date, str]]:
    """Decide each round whose window has closed (today and yesterday): done, or missed with an alarm."""
    now = now or utcnow()
    today = now.astimezone(CST).date()
    schedules = session.execute(select(PatrolSchedule).join(PatrolRoute, PatrolRoute.id == PatrolSchedule.route_id)
                                .where(PatrolSchedule.active.is_(True), PatrolRoute.active.is_(True))).scalars().all()
    decided: list[tuple[int, date, str]] = []
    for s in schedules:
        expected = session.execute(select(func.count()).select_from(PatrolCheckpoint)
                                   .where(PatrolCheckpoint.route_id == s.route_id)).scalar_one()
        for day in (today - timedelta(days=1), today):
            start, end = window_of(s, day)
            if end > now or start < s_created(session, s):
                continue
            if session.execute(select(PatrolRound.id).where(PatrolRound.schedule_id == s.id,
                                                            PatrolRound.day == day)).first():
                continue
            checked = session.execute(select(func.count(func.distinct(PatrolCheckin.checkpoint_id)))
                                      .where(PatrolCheckin.route_id == s.route_id, PatrolCheckin.at >= start,
                                             PatrolCheckin.at <= end)).scalar_one()
            status = "done" if expected and checked >= expected else "missed"
            try:
                with session.begin_nested():
                    session.add(PatrolRound(compound_id=s.compound_id, schedule_id=s.id, day=day, status=status,
                                            checked=checked, expected=expected, decided_at=now))
            except IntegrityError:
                continue
            if status == "missed":
                route = session.get(PatrolRoute, s.route_id)
                _alarm(session, compound_id=s.compound_id, source=f"patrol:route:{s.route_id}",
                       key=f"patrol:round:{s.id}:{day.isoformat()}", building_id=None,
                       title=f"巡更漏巡：{route.name if route else s.route_id} {day.isoformat()} "
                             f"{start.astimezone(CST):%H:%M} 班次仅打卡 {checked}/{expected} 点",
                       evidence={"schedule_id": s.id, "day": day.isoformat(), "checked": checked,
                                 "expected": expected})
            decided.append((s.id, day, status))
    session.flush()
    return decided


def s_created(session: Session, s: PatrolSchedule) -> datetime:
    """Rounds before the route existed are not judged."""
    first = session.execute(select(func.min(PatrolCheckpoint.created_at))
                            .where(PatrolCheckpoint.route_id == s.route_id)).scalar_one()
    return first or utcnow()


def patrol_completion(session: Session, *, compound_id: int, since: datetime | None) -> float | None:
    """% of decided rounds walked completely inside their window."""
    stmt = select(PatrolRound.status, func.count()).where(PatrolRound.compound_id == compound_id)
    if since is not None:
        stmt = stmt.where(PatrolRound.decided_at >= since)
    counts = dict(session.execute(stmt.group_by(PatrolRound.status)).all())
    total = sum(counts.values())
    return round(100.0 * counts.get("done", 0) / total, 1) if total else None


def status_board(session: Session, *, compound_id: int, now: datetime | None = None) -> list[dict[str, object]]:
    """Every checkpoint with its last check-in and whether its gap is over the maximum (patrol status page)."""
    now = now or utcnow()
    last = last_checkins(session, compound_id=compound_id)
    rows = session.execute(select(PatrolCheckpoint, PatrolRoute.name)
                           .join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
                           .where(PatrolCheckpoint.compound_id == compound_id)
                           .order_by(PatrolRoute.id, PatrolCheckpoint.seq, PatrolCheckpoint.id)).all()
    out = []
    for p, route in rows:
        at = last.get(p.id)
        since = at or p.created_at
        overdue = bool(p.max_interval_minutes) and now - since > timedelta(minutes=p.max_interval_minutes or 0)
        out.append({"point": p, "route": route, "last": at, "overdue": overdue})
    return out


__all__ = ["check_gaps", "check_in", "check_rounds", "handover", "patrol_completion", "status_board"]
