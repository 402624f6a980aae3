"""Patrol rules: check-ins by QR code or NFC tag, key-point gaps (R-W5), missed rounds, completion figures.

A gap or a missed round asks the alarm centre for an alarm by publishing AlarmRequested; the unique
(checkpoint, gap start) and (schedule, day) rows make sure two workers raise it once.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRequested
from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, Invalid, NotFound
from anju.core.kit.china_time import CHINA_TZ as CST
from anju.patrol.models import (
    PatrolCheckin,
    PatrolCheckpoint,
    PatrolGapAlert,
    PatrolRound,
    PatrolRoute,
    PatrolSchedule,
    ShiftHandover,
)


class CheckpointNotFound(NotFound):
    code = "patrol_checkpoint_not_found"
    message_zh = "巡更点不存在或不属于您的小区"
    message_en = "Checkpoint not found in your compounds"


class NfcTagTaken(Conflict):
    code = "patrol_nfc_tag_taken"
    message_zh = "NFC 标签号已被其他巡更点使用"
    message_en = "This NFC tag id is already used by another checkpoint"


def create_route(
    session: Session,
    *,
    by: Principal,
    compound_id: int,
    name: str,
    checkpoints: list[dict[str, Any]],
    windows: list[tuple[int, int]],
) -> PatrolRoute:
    """A route with its checkpoints (each gets a QR code) and daily windows; a reused NFC tag is a 409."""
    if not by.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    tags = [c["nfc_tag"] for c in checkpoints if c.get("nfc_tag")]
    if len(set(tags)) != len(tags):
        raise Invalid("two checkpoints carry the same NFC tag id", zh="同一路线中有重复的 NFC 标签号")
    if tags and session.execute(select(PatrolCheckpoint.id).where(PatrolCheckpoint.nfc_tag.in_(tags))).first():
        raise NfcTagTaken(f"NFC tag in use: {', '.join(tags)}")
    from anju.registry.models import Building

    buildings = {c["building_id"] for c in checkpoints if c.get("building_id") is not None}
    if (
        buildings
        and set(
            session.execute(
                select(Building.id).where(Building.id.in_(buildings), Building.compound_id == compound_id)
            ).scalars()
        )
        != buildings
    ):
        raise Invalid("a checkpoint's building is not in this compound", zh="巡更点所在楼栋不属于该小区")
    route = PatrolRoute(compound_id=compound_id, name=name, active=True)
    session.add(route)
    session.flush()
    for i, cp in enumerate(checkpoints):
        session.add(
            PatrolCheckpoint(
                compound_id=compound_id,
                route_id=route.id,
                name=cp["name"],
                seq=i,
                code=f"PT-{secrets.token_urlsafe(9)}",
                nfc_tag=cp.get("nfc_tag"),
                building_id=cp.get("building_id"),
                key_point=bool(cp.get("key_point")),
                max_interval_minutes=cp.get("max_interval_minutes"),
            )
        )
    for start, length in windows:
        session.add(
            PatrolSchedule(
                compound_id=compound_id,
                route_id=route.id,
                start_minute=start % 1440,
                window_minutes=max(5, min(length, 1440)),
                active=True,
            )
        )
    session.flush()
    return route


def check_in(
    session: Session, *, by: Principal, code: str | None = None, nfc_tag: str | None = None, now: datetime | None = None
) -> PatrolCheckin:
    """Record a scan; a code of another compound is a 404 (no hint that it exists)."""
    if not code and not nfc_tag:
        raise Invalid(
            "scan a QR code or an NFC tag",
            zh="请扫描巡更点二维码或 NFC 标签",
            fields=[{"field": "code", "message": "required / 必填"}],
        )
    cond = PatrolCheckpoint.code == code if code else PatrolCheckpoint.nfc_tag == nfc_tag
    point = session.execute(select(PatrolCheckpoint).where(cond)).scalar_one_or_none()
    if point is None or not by.in_scope(point.compound_id):
        raise CheckpointNotFound(f"checkpoint {code or nfc_tag}")
    row = PatrolCheckin(
        compound_id=point.compound_id,
        checkpoint_id=point.id,
        route_id=point.route_id,
        user_id=by.user_id,
        method="qr" if code else "nfc",
        at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def handover(
    session: Session, *, by: Principal, compound_id: int, to_user_id: int | None, note: str, now: datetime | None = None
) -> ShiftHandover:
    if not by.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    row = ShiftHandover(
        compound_id=compound_id, from_user_id=by.user_id, to_user_id=to_user_id, note=note, at=now or utcnow()
    )
    session.add(row)
    session.flush()
    return row


def last_checkins(session: Session, *, compound_id: int | None = None) -> dict[int, datetime]:
    stmt = select(PatrolCheckin.checkpoint_id, func.max(PatrolCheckin.at)).group_by(PatrolCheckin.checkpoint_id)
    if compound_id is not None:
        stmt = stmt.where(PatrolCheckin.compound_id == compound_id)
    return {int(c): at for c, at in session.execute(stmt)}


def _alarm(
    session: Session,
    *,
    compound_id: int,
    source: str,
    key: str,
    title: str,
    building_id: int | None,
    evidence: dict[str, object],
) -> None:
    events.publish(
        session,
        AlarmRequested(
            compound_id=compound_id,
            kind="patrol_missed",
            severity="major",
            source=source,
            dedupe_key=key,
            title=title,
            building_id=building_id,
            evidence=evidence,
        ),
        compound_id=compound_id,
    )


def check_gaps(session: Session, *, now: datetime | None = None) -> list[int]:
    """R-W5: key points whose last check-in is older than their maximum interval raise one alarm per gap."""
    now = now or utcnow()
    points = (
        session.execute(
            select(PatrolCheckpoint)
            .join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
            .where(
                PatrolCheckpoint.key_point.is_(True),
                PatrolRoute.active.is_(True),
                PatrolCheckpoint.max_interval_minutes.is_not(None),
            )
        )
        .scalars()
        .all()
    )
    last = last_checkins(session)
    raised: list[int] = []
    for p in points:
        since = last.get(p.id, p.created_at)
        if now - since <= timedelta(minutes=p.max_interval_minutes or 0):
            continue
        try:
            with session.begin_nested():
                session.add(
                    PatrolGapAlert(compound_id=p.compound_id, checkpoint_id=p.id, gap_from=since, raised_at=now)
                )
        except IntegrityError:
            continue  # this gap was already reported (by us earlier, or by another worker)
        gap = int((now - since).total_seconds() // 60)
        _alarm(
            session,
            compound_id=p.compound_id,
            source=f"patrol:checkpoint:{p.id}",
            key=f"patrol:gap:{p.id}:{since.isoformat()}",
            building_id=p.building_id,
            title=f"巡更超时：{p.name} 已 {gap} 分钟无人打卡（上限 {p.max_interval_minutes} 分钟）",
            evidence={
                "checkpoint_id": p.id,
                "last_checkin": since.isoformat(),
                "gap_minutes": gap,
                "max_interval_minutes": p.max_interval_minutes,
            },
        )
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
    schedules = (
        session.execute(
            select(PatrolSchedule)
            .join(PatrolRoute, PatrolRoute.id == PatrolSchedule.route_id)
            .where(PatrolSchedule.active.is_(True), PatrolRoute.active.is_(True))
        )
        .scalars()
        .all()
    )
    decided: list[tuple[int, date, str]] = []
    for s in schedules:
        expected = session.execute(
            select(func.count()).select_from(PatrolCheckpoint).where(PatrolCheckpoint.route_id == s.route_id)
        ).scalar_one()
        for day in (today - timedelta(days=1), today):
            start, end = window_of(s, day)
            if end > now or start < s_created(session, s):
                continue
            if session.execute(
                select(PatrolRound.id).where(PatrolRound.schedule_id == s.id, PatrolRound.day == day)
            ).first():
                continue
            checked = session.execute(
                select(func.count(func.distinct(PatrolCheckin.checkpoint_id))).where(
                    PatrolCheckin.route_id == s.route_id, PatrolCheckin.at >= start, PatrolCheckin.at <= end
                )
            ).scalar_one()
            status = "done" if expected and checked >= expected else "missed"
            try:
                with session.begin_nested():
                    session.add(
                        PatrolRound(
                            compound_id=s.compound_id,
                            schedule_id=s.id,
                            day=day,
                            status=status,
                            checked=checked,
                            expected=expected,
                            decided_at=now,
                        )
                    )
            except IntegrityError:
                continue
            if status == "missed":
                route = session.get(PatrolRoute, s.route_id)
                _alarm(
                    session,
                    compound_id=s.compound_id,
                    source=f"patrol:route:{s.route_id}",
                    key=f"patrol:round:{s.id}:{day.isoformat()}",
                    building_id=None,
                    title=f"巡更漏巡：{route.name if route else s.route_id} {day.isoformat()} "
                    f"{start.astimezone(CST):%H:%M} 班次仅打卡 {checked}/{expected} 点",
                    evidence={"schedule_id": s.id, "day": day.isoformat(), "checked": checked, "expected": expected},
                )
            decided.append((s.id, day, status))
    session.flush()
    return decided


def s_created(session: Session, s: PatrolSchedule) -> datetime:
    """Rounds before the route (or the schedule) existed are not judged."""
    first = session.execute(
        select(func.min(PatrolCheckpoint.created_at)).where(PatrolCheckpoint.route_id == s.route_id)
    ).scalar_one()
    first = first or utcnow()
    return max(first, s.created_at) if s.created_at is not None else first


# R-S4 (61号令 第25、26条): key units (消防安全重点部位) are patrolled every day. A route with a key point and no
# schedule gets this daily round (China time); a missed round raises an alarm like any other.
KEY_UNIT_PATROL_START_MINUTE = 8 * 60
KEY_UNIT_PATROL_WINDOW_MINUTES = 12 * 60


def ensure_key_unit_patrols(session: Session, *, now: datetime | None = None) -> list[int]:
    """Give every active route with a key point a daily round if it has none; returns the schedules created.

    The route row is written first (a no-op UPDATE) so a second worker waits, then sees the schedule and skips.
    """
    now = now or utcnow()
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
    routes = session.execute(
        select(PatrolRoute.id, PatrolRoute.compound_id)
        .where(PatrolRoute.active.is_(True), has_key, ~has_schedule)
        .order_by(PatrolRoute.id)
    ).all()
    created: list[int] = []
    for route_id, compound_id in routes:
        session.execute(
            update(PatrolRoute)
            .where(PatrolRoute.id == route_id)
            .values(active=PatrolRoute.active)
            .execution_options(synchronize_session=False)
        )
        if session.execute(
            select(PatrolSchedule.id).where(PatrolSchedule.route_id == route_id, PatrolSchedule.active.is_(True))
        ).first():
            continue  # another worker scheduled it meanwhile
        row = PatrolSchedule(
            compound_id=compound_id,
            route_id=route_id,
            start_minute=KEY_UNIT_PATROL_START_MINUTE,
            window_minutes=KEY_UNIT_PATROL_WINDOW_MINUTES,
            active=True,
            created_at=now,
            auto=True,
        )
        session.add(row)
        session.flush()
        created.append(row.id)
    return created


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
    rows = session.execute(
        select(PatrolCheckpoint, PatrolRoute.name)
        .join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
        .where(PatrolCheckpoint.compound_id == compound_id)
        .order_by(PatrolRoute.id, PatrolCheckpoint.seq, PatrolCheckpoint.id)
    ).all()
    out = []
    for p, route in rows:
        at = last.get(p.id)
        since = at or p.created_at
        overdue = bool(p.max_interval_minutes) and now - since > timedelta(minutes=p.max_interval_minutes or 0)
        out.append({"point": p, "route": route, "last": at, "overdue": overdue})
    return out


__all__ = [
    "check_gaps",
    "check_in",
    "check_rounds",
    "ensure_key_unit_patrols",
    "handover",
    "patrol_completion",
    "status_board",
]
