"""R-S7: the fire control room (消防控制室) is staffed around the clock by at least two people per shift.

A compound's roster is a sequence of dated shifts. The watch job sweeps the next 7 days: every stretch with
nobody on duty (uncovered) or one person (understaffed) becomes a `FireDutyGap` row, and only the worker
whose INSERT created that row asks the alarm centre for an alarm, so two workers never raise it twice.
A gap that the roster no longer shows is marked resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Invalid, NotFound
from anju.facilities.models import FireDutyGap, FireDutyShift

MIN_ON_DUTY = 2  # R-S7 (GB 25506): two operators per shift
HORIZON = timedelta(days=7)  # how far ahead gaps are flagged
MAX_SHIFT = timedelta(hours=24)
MAX_RANGE = timedelta(days=62)  # one PUT replaces at most two months


@dataclass(frozen=True)
class Gap:
    kind: str  # uncovered | understaffed
    starts_at: datetime
    ends_at: datetime
    on_duty: int


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def staffing(shifts: list[tuple[datetime, datetime, list[str]]], start: datetime, end: datetime) -> list[Gap]:
    """Stretches of [start, end) with fewer than two distinct people on duty, by sweeping the shift bounds."""
    points = sorted({start, end, *(t for a, b, _ in shifts for t in (a, b) if start < t < end)})
    gaps: list[Gap] = []
    for a, b in pairwise(points):
        people = {name for s, e, staff in shifts if s <= a and e >= b for name in staff}
        n = len(people)
        if n >= MIN_ON_DUTY:
            continue
        kind = "uncovered" if n == 0 else "understaffed"
        if gaps and gaps[-1].kind == kind and gaps[-1].ends_at == a:
            gaps[-1] = Gap(kind, gaps[-1].starts_at, b, n)  # the same stretch continues
        else:
            gaps.append(Gap(kind, a, b, n))
    return gaps


def shifts_between(session: Session, *, compound_id: int, start: datetime, end: datetime) -> list[FireDutyShift]:
    return list(
        session.execute(
            select(FireDutyShift)
            .where(
                FireDutyShift.compound_id == compound_id, FireDutyShift.ends_at > start, FireDutyShift.starts_at < end
            )
            .order_by(FireDutyShift.starts_at, FireDutyShift.id)
        ).scalars()
    )


def set_roster(
    session: Session,
    *,
    by: Principal,
    compound_id: int,
    start: datetime,
    end: datetime,
    shifts: list[tuple[datetime, datetime, list[str]]],
) -> list[Gap]:
    """Replace the shifts starting in [start, end) and return the gaps the new roster leaves in that range.

    A roster with gaps is accepted (people fall ill; nothing entered is lost) and flagged by the watch job.
    """
    if not by.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    if end <= start or end - start > MAX_RANGE:
        raise Invalid(
            "the roster range must end after it starts and span at most 62 days",
            zh="排班区间须结束晚于开始，且不超过 62 天",
        )
    ordered = sorted(shifts, key=lambda s: s[0])
    for i, (a, b, staff) in enumerate(ordered):
        where = f"shift {a.isoformat()}"
        if not start <= a < b <= end:
            raise Invalid(
                f"{where}: must end after it starts, inside the roster range",
                zh=f"班次 {a:%m-%d %H:%M}：结束须晚于开始，且在排班区间内",
            )
        if b - a > MAX_SHIFT:
            raise Invalid(f"{where}: a shift lasts at most 24 h", zh=f"班次 {a:%m-%d %H:%M}：单班不超过 24 小时")
        if len(set(staff)) != len(staff) or any(not 0 < len(n.strip()) <= 32 for n in staff):
            raise Invalid(
                f"{where}: staff names are 1–32 characters and listed once",
                zh=f"班次 {a:%m-%d %H:%M}：值班人员姓名 1–32 字且不得重复",
            )
        if i and ordered[i - 1][1] > a:
            raise Invalid(f"{where}: overlaps the previous shift", zh=f"班次 {a:%m-%d %H:%M} 与上一班次重叠")
    session.execute(
        delete(FireDutyShift)
        .where(
            FireDutyShift.compound_id == compound_id, FireDutyShift.starts_at >= start, FireDutyShift.starts_at < end
        )
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    session.add_all(
        FireDutyShift(
            compound_id=compound_id,
            starts_at=a,
            ends_at=b,
            staff=[n.strip() for n in staff],
            set_by_user_id=by.user_id,
            set_at=now,
        )
        for a, b, staff in ordered
    )
    session.flush()
    kept = shifts_between(session, compound_id=compound_id, start=start, end=end)
    return staffing([(s.starts_at, s.ends_at, s.staff) for s in kept], start, end)


def _alarm_key(compound_id: int, kind: str, starts_at: datetime) -> str:
    return f"fire_duty:{compound_id}:{kind}:{starts_at.strftime('%Y%m%dT%H%M')}"


def _raise(session: Session, gap: FireDutyGap) -> None:
    from anju.alarms.events import AlarmRequested
    from anju.workorders.sla import CST

    a, b = gap.starts_at.astimezone(CST), gap.ends_at.astimezone(CST)
    what = "无人值班" if gap.kind == "uncovered" else "仅 1 人值班"
    events.publish(
        session,
        AlarmRequested(
            compound_id=gap.compound_id,
            kind="fire_duty_gap",
            severity="major",
            source=f"fire_duty:{gap.compound_id}",
            dedupe_key=gap.alarm_key,
            title=f"消防控制室{what}：{a:%m-%d %H:%M}–{b:%m-%d %H:%M}",
            evidence={
                "kind": gap.kind,
                "starts_at": gap.starts_at.isoformat(),
                "ends_at": gap.ends_at.isoformat(),
                "on_duty": gap.on_duty,
                "rule": "R-S7",
            },
        ),
        compound_id=gap.compound_id,
    )


def check_compound(session: Session, *, compound_id: int, now: datetime) -> list[int]:
    """Flag this compound's gaps in the next 7 days; returns the ids of gaps raised by this call."""
    start, end = _hour(now), _hour(now) + HORIZON
    found = staffing(
        [
            (s.starts_at, s.ends_at, s.staff)
            for s in shifts_between(session, compound_id=compound_id, start=start, end=end)
        ],
        start,
        end,
    )
    open_rows = list(
        session.execute(
            select(FireDutyGap).where(FireDutyGap.compound_id == compound_id, FireDutyGap.resolved_at.is_(None))
        ).scalars()
    )
    seen: set[int] = set()
    raised: list[int] = []
    for g in found:
        # A stretch that began before the window is the continuation of the open gap that contains its start.
        row = next(
            (
                r
                for r in open_rows
                if r.kind == g.kind
                and r.starts_at <= g.starts_at <= r.ends_at
                and (g.starts_at == start or r.starts_at == g.starts_at)
            ),
            None,
        )
        if row is None:
            row = session.execute(
                select(FireDutyGap).where(
                    FireDutyGap.compound_id == compound_id,
                    FireDutyGap.kind == g.kind,
                    FireDutyGap.starts_at == g.starts_at,
                )
            ).scalar_one_or_none()
            if row is not None and row.resolved_at is not None:
                # the same gap is back (the roster was undone): raise again, once, by compare-and-set
                res = session.execute(
                    update(FireDutyGap)
                    .where(FireDutyGap.id == row.id, FireDutyGap.resolved_at.is_not(None))
                    .values(resolved_at=None, ends_at=g.ends_at, on_duty=g.on_duty, detected_at=now)
                    .execution_options(synchronize_session=False)
                )
                session.refresh(row)
                if res.rowcount == 1:  # type: ignore[attr-defined]
                    _raise(session, row)
                    raised.append(row.id)
        if row is None:
            row = FireDutyGap(
                compound_id=compound_id,
                kind=g.kind,
                starts_at=g.starts_at,
                ends_at=g.ends_at,
                on_duty=g.on_duty,
                detected_at=now,
                alarm_key=_alarm_key(compound_id, g.kind, g.starts_at),
            )
            try:
                with session.begin_nested():
                    session.add(row)
                    session.flush()
            except IntegrityError:  # another worker flagged it first: it raised the alarm
                continue
            _raise(session, row)
            raised.append(row.id)
        else:
            row.ends_at, row.on_duty = g.ends_at, g.on_duty  # the roster moved its end, or the window did
        seen.add(row.id)
    for r in open_rows:
        if r.id not in seen:
            r.resolved_at = now  # the roster now covers it, or it is over
    session.flush()
    return raised


def check_all(session: Session, *, now: datetime | None = None) -> list[int]:
    """The watch job: every compound that keeps a roster (a shift in the last 30 days or later) or has open gaps.

    Compounds without a fire control room keep no roster and are not flagged.
    """
    now = now or utcnow()
    compounds = set(
        session.execute(
            select(FireDutyShift.compound_id).where(FireDutyShift.ends_at > now - timedelta(days=30)).distinct()
        ).scalars()
    )
    compounds |= set(
        session.execute(select(FireDutyGap.compound_id).where(FireDutyGap.resolved_at.is_(None)).distinct()).scalars()
    )
    raised: list[int] = []
    for cid in sorted(compounds):
        raised += check_compound(session, compound_id=cid, now=now)
    return raised


def open_gaps(session: Session, *, compound_id: int) -> list[FireDutyGap]:
    return list(
        session.execute(
            select(FireDutyGap)
            .where(FireDutyGap.compound_id == compound_id, FireDutyGap.resolved_at.is_(None))
            .order_by(FireDutyGap.starts_at)
        ).scalars()
    )
