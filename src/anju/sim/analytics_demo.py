"""Demo data for the command picture and the security reports (issue 15): six months of closed theft-kind incidents
and the security staff record (trainings, an exam, shifts), so the hot-spot layer and the report show something.

The incident history is seeded (random.Random), places × hours follow how thefts cluster in a residential compound:
e-bike and parcel thefts at the buildings by the gates on weekday evenings, break-ins in the small hours on one
quiet corner, fence crossings at night on the perimeter, and a hot spot that has grown over the last two months.
Places and times only, never people. Written directly as seed data (closed alarms, no events)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

HISTORY_WEEKS = 26


@dataclass(frozen=True)
class Pattern:
    kind: str
    building: int | None  # index into the compound's buildings by id (None: the perimeter)
    days: tuple[int, ...]  # weekdays, 0 = Monday
    hours: tuple[int, ...]  # China-time hours the incidents fall in
    per_week: float  # expected incidents per week
    since_week: int = HISTORY_WEEKS  # the pattern runs over the last `since_week` weeks


PATTERNS = (
    Pattern("theft", 0, (0, 1, 2, 3, 4), (18, 19, 20, 21), 0.9),  # e-bikes at the building by the south gate
    Pattern("theft", 1, (0, 1, 2, 3, 4), (12, 13, 14), 0.4),  # parcels at the lobby at noon
    Pattern("theft", 2, (5, 6), (14, 15, 16, 17), 0.5),  # weekend afternoons
    Pattern("burglary", 3, (1, 2, 3), (1, 2, 3), 0.25),  # break-ins in the small hours
    Pattern("door_forced", 3, (1, 2, 3, 4), (2, 3), 0.15),
    Pattern("perimeter_intrusion", None, (0, 1, 2, 3, 4, 5, 6), (0, 1, 2, 23), 0.5),
    Pattern("theft", 4, (4, 5), (20, 21, 22), 1.2, since_week=8),  # the new hot spot
)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (small means only)."""
    n, t = 0, rng.expovariate(1.0)
    while t < mean:
        n += 1
        t += rng.expovariate(1.0)
    return n


def theft_history(compound_buildings: list[int], *, now: datetime, seed: int) -> list[tuple[str, int | None, datetime]]:
    """(kind, building id or None, UTC time) of every incident of the last HISTORY_WEEKS weeks before `now`."""
    from anju.core.kit.china_time import china_datetime, to_china

    rng = random.Random(seed)
    today = to_china(now).date()
    monday = today - timedelta(days=today.weekday())
    out: list[tuple[str, int | None, datetime]] = []
    for weeks_ago in range(HISTORY_WEEKS, 0, -1):
        week = monday - timedelta(weeks=weeks_ago)
        for p in PATTERNS:
            if weeks_ago > p.since_week:
                continue
            building = compound_buildings[p.building % len(compound_buildings)] if p.building is not None else None
            for _ in range(_poisson(rng, p.per_week)):
                day: date = week + timedelta(days=rng.choice(p.days))
                at = china_datetime(day) + timedelta(hours=rng.choice(p.hours), minutes=rng.randrange(60))
                if at < now - timedelta(hours=1):
                    out.append((p.kind, building, at))
    out.sort(key=lambda x: x[2])
    return out


def build_analytics_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed the incident history and the staff record for compound `compound_id`. Caller commits."""
    del li_person_id, committee_person_id  # the seeding interface of every demo; this one names no resident
    from anju.accounts.models import User
    from anju.alarms.enums import AlarmSeverity, AlarmStatus
    from anju.alarms.models import Alarm
    from anju.analytics.models import StaffShift, StaffTraining, StaffTrainingRecord
    from anju.core.db import utcnow
    from anju.core.kit.china_time import china_date, china_datetime
    from anju.registry.models import Building

    now = utcnow()
    buildings = list(
        session.execute(select(Building.id).where(Building.compound_id == compound_id).order_by(Building.id)).scalars()
    )
    rng = random.Random(20261206)
    for k, (kind, building, at) in enumerate(theft_history(buildings, now=now, seed=20261206)):
        false_alarm = kind == "perimeter_intrusion" and rng.random() < 0.3  # birds and wind on the fence
        ack = at + timedelta(minutes=rng.randint(1, 9))
        session.add(
            Alarm(
                compound_id=compound_id,
                kind=kind,
                severity=AlarmSeverity.major,
                source="demo:history" if building is not None else "demo:perimeter",
                dedupe_key=f"demo:history:{k}",
                dedupe_slot=None,
                title="历史事件（演示）",
                status=AlarmStatus.false_alarm if false_alarm else AlarmStatus.resolved,
                building_id=building,
                raised_by="user" if kind == "theft" else "automation",
                occurred_at=at,
                created_at=at,
                last_seen_at=at,
                acknowledged_at=ack,
                closed_at=ack + timedelta(minutes=rng.randint(10, 80)),
            )
        )
    staff = list(
        session.execute(
            select(User.id, User.username).where(User.username.in_(("manager_wang", "staff_liu", "guard_chen")))
        ).all()
    )
    ids = {u.username: u.id for u in staff}
    today = china_date(now)
    first = today.replace(day=1)
    for months_ago, title in ((2, "消防器材使用与初起火灾扑救"), (1, "电动自行车防盗与巡更要点")):
        held = (first - timedelta(days=28 * months_ago - 10)).replace(day=12)
        tr = StaffTraining(compound_id=compound_id, kind="training", title=title, held_on=held, hours=2.0)
        session.add(tr)
        session.flush()
        for name, uid in ids.items():
            attended = not (months_ago == 1 and name == "staff_liu")
            session.add(StaffTrainingRecord(compound_id=compound_id, training_id=tr.id, user_id=uid, attended=attended))
    exam_day = (first - timedelta(days=1)).replace(day=20)
    exam = StaffTraining(
        compound_id=compound_id, kind="exam", title="安保技能季度考核", held_on=exam_day, hours=1.0, pass_score=60
    )
    session.add(exam)
    session.flush()
    for name, score in (("guard_chen", 82), ("staff_liu", 58), ("manager_wang", 91)):
        if name in ids:
            session.add(
                StaffTrainingRecord(
                    compound_id=compound_id, training_id=exam.id, user_id=ids[name], attended=True, score=score
                )
            )
    if "guard_chen" in ids:
        for days_ago in range(1, 36):
            day = today - timedelta(days=days_ago)
            start = china_datetime(day) + timedelta(hours=8 if days_ago % 2 else 20)
            session.add(
                StaffShift(
                    compound_id=compound_id,
                    user_id=ids["guard_chen"],
                    starts_at=start,
                    ends_at=start + timedelta(hours=12),
                    status="absent" if days_ago in (9, 23) else "attended",
                )
            )
    session.flush()
