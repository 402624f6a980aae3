"""Deadlines: grade presets (R-W1), complaint answer days (R-W3), 24/7 and business calendars, timer plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.kit.china_time import CHINA_TZ as CST  # business hours are China time
from anju.workorders.config import wo_settings
from anju.workorders.enums import OrderKind, Priority
from anju.workorders.models import SlaPolicy

# R-W1: property-service grade → priority → (arrival minutes, resolution minutes, calendar).
# Grade 1 emergency repairs breach if nobody arrives within 30 min; grade 2 within 60 min.
GRADE_PRESETS: dict[int, dict[Priority, tuple[int, int, str]]] = {
    1: {
        Priority.emergency: (30, 240, "24x7"),
        Priority.urgent: (60, 480, "24x7"),
        Priority.normal: (120, 1440, "business"),
        Priority.low: (480, 4320, "business"),
    },
    2: {
        Priority.emergency: (60, 360, "24x7"),
        Priority.urgent: (120, 720, "24x7"),
        Priority.normal: (240, 2880, "business"),
        Priority.low: (1440, 7200, "business"),
    },
    3: {
        Priority.emergency: (120, 480, "24x7"),
        Priority.urgent: (240, 1440, "24x7"),
        Priority.normal: (480, 4320, "business"),
        Priority.low: (2880, 10080, "business"),
    },
}
HAZARD_RESOLUTION_MINUTES = 120
# After a breach the order climbs one level per half window: L1 supervisor, L2 manager, L3 company.
LEVEL_TARGETS: dict[int, tuple[str, ...]] = {
    1: ("property_staff",),
    2: ("property_manager",),
    3: ("property_manager", "platform_admin"),
}


@dataclass(frozen=True)
class Sla:
    response_minutes: int | None
    resolution_minutes: int | None
    calendar: str  # 24x7 | business

    @property
    def empty(self) -> bool:
        return self.response_minutes is None and self.resolution_minutes is None


def preset(grade: int, kind: OrderKind, priority: Priority) -> Sla:
    """The defaults for a compound's grade: complaints get N calendar days (R-W3), suggestions no deadline."""
    if kind == OrderKind.complaint:
        return Sla(None, wo_settings().complaint_answer_days * 1440, "24x7")
    if kind == OrderKind.suggestion:
        return Sla(None, None, "24x7")
    if kind == OrderKind.hazard:
        # 随手拍: "平台自动派单给物业，2小时内完成清理" (the source's own example): on site in 30 min, done in 2 h.
        return Sla(30, HAZARD_RESOLUTION_MINUTES, "24x7")
    response, resolution, calendar = GRADE_PRESETS.get(grade, GRADE_PRESETS[1])[priority]
    return Sla(response, resolution, calendar)


def sla_for(
    session: Session, *, compound_id: int, grade: int, kind: OrderKind, category: str, priority: Priority
) -> Sla:
    """The compound's own policy (category first, then "*"; complaints use category "complaint"), else the preset."""
    cat = "complaint" if kind == OrderKind.complaint else category
    rows = {
        r.category: r
        for r in session.execute(
            select(SlaPolicy).where(
                SlaPolicy.compound_id == compound_id,
                SlaPolicy.category.in_([cat, "*"]),
                SlaPolicy.priority.in_([priority.value, "*"]),
            )
        ).scalars()
        if r.priority in (priority.value, "*")
    }
    row = rows.get(cat) or (rows.get("*") if kind not in (OrderKind.complaint, OrderKind.suggestion) else None)
    if row is None:
        return preset(grade, kind, priority)
    return Sla(row.response_minutes, row.resolution_minutes, row.calendar)


def _in_hours(t: datetime) -> bool:
    s = wo_settings()
    local = t.astimezone(CST)
    return local.weekday() in s.business_weekdays and s.business_start_hour <= local.hour < s.business_end_hour


def _next_opening(t: datetime) -> datetime:
    """The first business instant at or after t."""
    s = wo_settings()
    local = t.astimezone(CST)
    for _ in range(15):
        start = local.replace(hour=s.business_start_hour, minute=0, second=0, microsecond=0)
        end = local.replace(hour=s.business_end_hour, minute=0, second=0, microsecond=0)
        if local.weekday() in s.business_weekdays and local < end:
            return max(local, start).astimezone(UTC)
        local = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    raise ValueError("business calendar has no working days")


def add_minutes(start: datetime, minutes: float, calendar: str) -> datetime:
    """start + minutes on the calendar: wall-clock for 24x7, business hours only otherwise."""
    if calendar != "business":
        return start + timedelta(minutes=minutes)
    s = wo_settings()
    left = timedelta(minutes=minutes)
    t = _next_opening(start)
    while True:
        local = t.astimezone(CST)
        end = local.replace(hour=s.business_end_hour, minute=0, second=0, microsecond=0).astimezone(UTC)
        if t + left <= end:
            return t + left
        left -= end - t
        t = _next_opening(end)


def timer_plan(start: datetime, minutes: int, calendar: str) -> list[tuple[int, datetime]]:
    """(level, due_at): warning at 80 %, L1 at the deadline, L2 half a window later, L3 a full window later."""
    frac = wo_settings().warn_fraction
    return [
        (0, add_minutes(start, minutes * frac, calendar)),
        (1, add_minutes(start, minutes, calendar)),
        (2, add_minutes(start, minutes * 1.5, calendar)),
        (3, add_minutes(start, minutes * 2, calendar)),
    ]


def policies(session: Session, *, compound_id: int) -> list[SlaPolicy]:
    """A compound's own deadlines, by category then priority (the grade presets apply where none is set)."""
    return list(
        session.execute(
            select(SlaPolicy)
            .where(SlaPolicy.compound_id == compound_id)
            .order_by(SlaPolicy.category, SlaPolicy.priority)
        ).scalars()
    )


def set_policy(
    session: Session,
    *,
    compound_id: int,
    category: str,
    priority: str,
    response_minutes: int | None,
    resolution_minutes: int | None,
    calendar: str,
) -> SlaPolicy:
    """Upsert a compound's deadline for (category, priority); two managers saving at once leave one row."""
    from sqlalchemy.exc import IntegrityError

    def find() -> SlaPolicy | None:
        return session.execute(
            select(SlaPolicy).where(
                SlaPolicy.compound_id == compound_id, SlaPolicy.category == category, SlaPolicy.priority == priority
            )
        ).scalar_one_or_none()

    row = find()
    if row is None:
        try:
            with session.begin_nested():
                row = SlaPolicy(
                    compound_id=compound_id,
                    category=category,
                    priority=priority,
                    response_minutes=response_minutes,
                    resolution_minutes=resolution_minutes,
                    calendar=calendar,
                )
                session.add(row)
                session.flush()
        except IntegrityError:  # a rival save inserted it first: update theirs
            row = find()
    assert row is not None
    row.response_minutes, row.resolution_minutes, row.calendar = response_minutes, resolution_minutes, calendar
    session.flush()
    return row
