"""Patrol rules: check-ins by QR code or NFC tag, key-point gaps (R-W5), missed rounds, completion figures.

A gap or a missed round asks the alarm centre for an alarm by publishing AlarmRequested; the unique
(checkpoint, gap start) and (schedule, day) rows make sure two workers raise it once.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRequested
from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Invalid, NotFound
from anju.core.kit.china_time import CHINA_TZ as CST
from anju.core.kit.china_time import china_date, china_datetime
from anju.patrol.exceptions import CheckpointNotFound, NfcTagTaken, RouteNotFound
from anju.patrol.models import (
    PatrolCheckin,
    PatrolCheckpoint,
    PatrolGapAlert,
    PatrolRound,
    PatrolRoute,
    PatrolSchedule,
    ShiftHandover,
)
from anju.patrol.permissions import PatrolPerm
from anju.patrol.repository import PatrolRepository

_HEX_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2}){4,10}")


def nfc_key(raw: str | None) -> str | None:
    """One spelling of an NFC tag id: a serial number ("04:a2:01:7f" as Web NFC reads it, "04A2017F" as a
    label prints it) becomes upper-case byte pairs joined by colons; a text written on the tag stays as it is.
    Blank is no tag."""
    text = (raw or "").strip()
    if not text:
        return None
    bare = _HEX_SEPARATORS.sub("", text)
    if _HEX.fullmatch(bare):
        return ":".join(bare[i : i + 2] for i in range(0, len(bare), 2)).upper()
    return text[:64]


def set_nfc_tag(session: Session, *, by: Principal, checkpoint_id: int, nfc_tag: str | None) -> PatrolCheckpoint:
    """Register (or clear, with a blank id) the NFC tag stuck at a checkpoint; a tag of another checkpoint is a 409."""
    by.require(PatrolPerm.manage)
    point = readable_checkpoint(session, by=by, checkpoint_id=checkpoint_id)
    tag = nfc_key(nfc_tag)
    if tag == point.nfc_tag:
        return point
    if tag is not None and PatrolRepository(session).nfc_tag_in_use([tag]):
        raise NfcTagTaken(f"NFC tag in use: {tag}")
    point.nfc_tag = tag
    try:
        with session.begin_nested():  # two managers registering one tag at once: the unique column decides
            session.flush()
    except IntegrityError:
        raise NfcTagTaken(f"NFC tag in use: {tag}") from None
    return point


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
    # An empty or blank tag id is no tag: stored as "" it would make the second such checkpoint
    # collide on the unique column (a 500, issue 20 item 13).
    for c in checkpoints:
        c["nfc_tag"] = nfc_key(c.get("nfc_tag"))
    tags = [c["nfc_tag"] for c in checkpoints if c["nfc_tag"]]
    if len(set(tags)) != len(tags):
        raise Invalid("two checkpoints carry the same NFC tag id", zh="同一路线中有重复的 NFC 标签号")
    repo = PatrolRepository(session)
    if repo.nfc_tag_in_use(tags):
        raise NfcTagTaken(f"NFC tag in use: {', '.join(tags)}")
    buildings = {c["building_id"] for c in checkpoints if c.get("building_id") is not None}
    if buildings and repo.buildings_in_compound(compound_id, buildings) != buildings:
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
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise NfcTagTaken(f"NFC tag in use: {', '.join(tags)}") from None  # a concurrent route took it first
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


# A check-in queued on a phone without signal keeps its scan time, within these bounds of the server's clock.
QUEUED_MAX_AGE = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=2)
LATE_AFTER = timedelta(minutes=1)  # reaching the server later than this after the scan: shown as a late sync


def check_in(
    session: Session,
    *,
    by: Principal,
    code: str | None = None,
    nfc_tag: str | None = None,
    now: datetime | None = None,
    scanned_at: datetime | None = None,
    client_id: str | None = None,
) -> PatrolCheckin:
    """Record a scan; a code of another compound is a 404 (no hint that it exists).

    A check-in queued offline carries its scan time and the phone's id for it: sent twice, it is recorded
    once; a scan time in the future or older than a day is refused."""
    now = now or utcnow()
    if client_id:
        seen = PatrolRepository(session).checkin_by_client(by.user_id, client_id)
        if seen is not None:
            return seen
    at = now
    if scanned_at is not None:
        if scanned_at.tzinfo is None or scanned_at > now + CLOCK_SKEW or scanned_at < now - QUEUED_MAX_AGE:
            raise Invalid(
                "the scan time must be within the last 24 hours",
                zh="打卡时间须在24小时之内",
                fields=[{"field": "scanned_at", "message": "out of range / 超出范围"}],
            )
        at = min(scanned_at, now)
    if not code and not nfc_tag:
        raise Invalid(
            "scan a QR code or an NFC tag",
            zh="请扫描巡更点二维码或 NFC 标签",
            fields=[{"field": "code", "message": "required / 必填"}],
        )
    nfc_tag = None if code else nfc_key(nfc_tag)
    point = PatrolRepository(session).checkpoint_by_scan(code=code, nfc_tag=nfc_tag)
    if point is None or not by.in_scope(point.compound_id):
        raise CheckpointNotFound(f"checkpoint {code or nfc_tag}")
    row = PatrolCheckin(
        compound_id=point.compound_id,
        checkpoint_id=point.id,
        route_id=point.route_id,
        user_id=by.user_id,
        method="qr" if code else "nfc",
        at=at,
        client_id=client_id or None,
        synced_at=now if now - at > LATE_AFTER else None,
    )
    try:
        with session.begin_nested():  # the same queued check-in sent twice at once: one row
            session.add(row)
            session.flush()
    except IntegrityError:
        seen = PatrolRepository(session).checkin_by_client(by.user_id, client_id or "")
        if seen is None:
            raise
        return seen
    return row


def handover(
    session: Session, *, by: Principal, compound_id: int, to_user_id: int | None, note: str, now: datetime | None = None
) -> ShiftHandover:
    if not by.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    from anju.accounts.service import staff_of

    if to_user_id is not None and not staff_of(session, compound_id, user_id=to_user_id):
        # Handing over to someone who is not staff of this compound (issue 20 item 7).
        raise NotFound(f"user {to_user_id} not found among the staff of compound {compound_id}", zh="接班人不存在")
    row = ShiftHandover(
        compound_id=compound_id, from_user_id=by.user_id, to_user_id=to_user_id, note=note, at=now or utcnow()
    )
    session.add(row)
    session.flush()
    return row


def last_checkins(session: Session, *, compound_id: int | None = None) -> dict[int, datetime]:
    return PatrolRepository(session).last_checkins(compound_id)


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
    repo = PatrolRepository(session)
    points = repo.watched_key_points()
    last = repo.last_checkins()
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
    repo = PatrolRepository(session)
    decided: list[tuple[int, date, str]] = []
    for s in repo.active_schedules():
        expected = repo.checkpoint_count(s.route_id)
        for day in (today - timedelta(days=1), today):
            start, end = window_of(s, day)
            if end > now or start < s_created(session, s):
                continue
            if repo.round_decided(s.id, day):
                continue
            checked = repo.checked_points(s.route_id, start, end)
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
                route = repo.route(s.route_id)
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
    first = PatrolRepository(session).first_checkpoint_at(s.route_id) or utcnow()
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
    repo = PatrolRepository(session)
    created: list[int] = []
    for route_id, compound_id in repo.routes_needing_key_unit_round():
        repo.lock_route(route_id)
        if repo.has_active_schedule(route_id):
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
    counts = PatrolRepository(session).round_counts(compound_id, since)
    total = sum(counts.values())
    return round(100.0 * counts.get("done", 0) / total, 1) if total else None


def status_board(session: Session, *, compound_id: int, now: datetime | None = None) -> list[dict[str, object]]:
    """Every checkpoint with its last check-in and whether its gap is over the maximum (patrol status page)."""
    now = now or utcnow()
    repo = PatrolRepository(session)
    last = repo.last_checkins(compound_id)
    out = []
    for p, route in repo.board_rows(compound_id):
        at = last.get(p.id)
        since = at or p.created_at
        overdue = bool(p.max_interval_minutes) and now - since > timedelta(minutes=p.max_interval_minutes or 0)
        out.append({"point": p, "route": route, "last": at, "overdue": overdue})
    return out


@dataclass(frozen=True)
class NextCheckpoint:
    """Where the guard goes next on today's round (China day): the route, its next point, how far along."""

    route: str
    point: PatrolCheckpoint | None  # None: every point of the route checked in today
    done: int
    total: int


def next_checkpoint(session: Session, *, by: Principal, now: datetime | None = None) -> NextCheckpoint | None:
    """The route the guard walks today (that of their latest check-in, else the first active route) and its
    first point in walking order not yet checked in by them since midnight China time."""
    now = now or utcnow()
    repo = PatrolRepository(session)
    routes = {r.id: r for r in repo.active_routes(sorted(by.compound_ids))}
    if not routes:
        return None
    mine = repo.my_checkins_since(by.user_id, sorted(by.compound_ids), china_datetime(china_date(now)))
    route_id = next((c.route_id for c in mine if c.route_id in routes), None)
    if route_id is None:
        route_id = next((rid for rid in routes if repo.checkpoint_count(rid)), None)
    if route_id is None:
        return None
    points = repo.checkpoints_of_route(route_id)
    seen = {c.checkpoint_id for c in mine}
    ahead = [p for p in points if p.id not in seen]
    return NextCheckpoint(routes[route_id].name, ahead[0] if ahead else None, len(points) - len(ahead), len(points))


def late_checkins(session: Session, *, compound_id: int, limit: int = 10) -> list[tuple[PatrolCheckin, str]]:
    """Check-ins queued offline that reached the server late (scan time and sync time both kept)."""
    return PatrolRepository(session).late_checkins(compound_id, limit)


def route_checkpoints(session: Session, *, by: Principal, route_id: int) -> list[PatrolCheckpoint]:
    """A route's checkpoints in walking order; another compound's route is a 404."""
    route = PatrolRepository(session).route(route_id)
    if route is None or not by.in_scope(route.compound_id):
        raise RouteNotFound(f"route {route_id}")
    return PatrolRepository(session).checkpoints_of_route(route_id)


def readable_checkpoint(session: Session, *, by: Principal, checkpoint_id: int) -> PatrolCheckpoint:
    """One checkpoint in the caller's compounds; another compound's is a 404."""
    point = PatrolRepository(session).checkpoint(checkpoint_id)
    if point is None or not by.in_scope(point.compound_id):
        raise CheckpointNotFound(f"checkpoint {checkpoint_id}")
    return point


def recent_rounds(session: Session, *, compound_id: int, limit: int = 20) -> list[PatrolRound]:
    """The newest decided rounds of a compound."""
    return PatrolRepository(session).recent_rounds(compound_id, limit)


def recent_handovers(session: Session, *, compound_id: int, limit: int = 10) -> list[ShiftHandover]:
    """The newest shift handovers of a compound."""
    return PatrolRepository(session).recent_handovers(compound_id, limit)


def round_tally(session: Session, *, compound_id: int, since: datetime, until: datetime) -> dict[str, int]:
    """Rounds decided in [since, until) by status, and the checkpoints they expected and got."""
    rows = session.execute(
        select(PatrolRound.status, func.count(), func.sum(PatrolRound.expected), func.sum(PatrolRound.checked))
        .where(
            PatrolRound.compound_id == compound_id,
            PatrolRound.decided_at >= since,
            PatrolRound.decided_at < until,
        )
        .group_by(PatrolRound.status)
    ).all()
    out = {"done": 0, "missed": 0, "expected": 0, "checked": 0}
    for status, n, expected, checked in rows:
        out[str(status)] = out.get(str(status), 0) + int(n)
        out["expected"] += int(expected or 0)
        out["checked"] += int(checked or 0)
    return out


def route_checkpoints_of(session: Session, *, compound_id: int) -> dict[int, list[int | None]]:
    """Active routes of a compound → their checkpoints' buildings in walking order (for drawing routes)."""
    rows = session.execute(
        select(PatrolCheckpoint.route_id, PatrolCheckpoint.building_id)
        .join(PatrolRoute, PatrolRoute.id == PatrolCheckpoint.route_id)
        .where(PatrolCheckpoint.compound_id == compound_id, PatrolRoute.active.is_(True))
        .order_by(PatrolCheckpoint.route_id, PatrolCheckpoint.seq, PatrolCheckpoint.id)
    ).all()
    out: dict[int, list[int | None]] = {}
    for route_id, building_id in rows:
        out.setdefault(int(route_id), []).append(building_id)
    return out


__all__ = [
    "check_gaps",
    "check_in",
    "check_rounds",
    "ensure_key_unit_patrols",
    "handover",
    "patrol_completion",
    "readable_checkpoint",
    "recent_handovers",
    "recent_rounds",
    "round_tally",
    "route_checkpoints",
    "route_checkpoints_of",
    "status_board",
]
