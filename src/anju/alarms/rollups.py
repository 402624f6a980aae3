"""The hourly rollup of alarms (issue 19): per compound, hour of occurrence, kind, severity, outcome and place.

Registered with the kernel's rollup job (`anju.core.rollup`). An alarm counts in the hour it occurred (its
source time, which may be long before it reached us: late rows are folded in by id); its outcome changes when it
is closed, so every transition (the append-only `alarm_transition`) marks its alarm's hour for recomputation.
`service.alarm_hour_counts` reads closed hours from here and the rest from the alarm table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, case, cast, func, literal, select
from sqlalchemy.orm import Session

from anju.alarms.enums import CLOSED_STATUSES
from anju.alarms.models import Alarm, AlarmHourly, AlarmTransition
from anju.core.rollup import Cell, RawLog, Rollup, epoch_hour, from_epoch_hour, register_rollup

NAME = "alarms.hourly"


def outcome_col() -> ColumnElement[str]:
    """ "open" until closed, then the outcome (or the closing status when no outcome was recorded)."""
    return case(
        (
            Alarm.status.in_([s.value for s in CLOSED_STATUSES]),
            func.coalesce(Alarm.outcome, cast(Alarm.status, String)),
        ),
        else_=literal("open"),
    )


def place_col() -> ColumnElement[str]:
    return case(
        (Alarm.building_id.is_not(None), literal("b:") + cast(Alarm.building_id, String)),
        else_=literal("p:") + Alarm.source,
    )


def _aggregate(
    session: Session, start: datetime, end: datetime, compound_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    h = epoch_hour(session, Alarm.occurred_at)
    outcome, place = outcome_col(), place_col()
    stmt = (
        select(Alarm.compound_id, h, Alarm.kind, Alarm.severity, outcome, place, func.count())
        .where(Alarm.occurred_at >= start, Alarm.occurred_at < end)
        .group_by(Alarm.compound_id, h, Alarm.kind, Alarm.severity, outcome, place)
    )
    if compound_ids is not None:
        stmt = stmt.where(Alarm.compound_id.in_(list(compound_ids)))
    return [
        {
            "compound_id": c,
            "hour": from_epoch_hour(hr),
            "kind": k,
            "severity": str(sev),
            "outcome": str(o),
            "place": str(p)[:72],
            "n": int(n),
        }
        for c, hr, k, sev, o, p, n in session.execute(stmt)
    ]


RAW = RawLog(Alarm.id, Alarm.compound_id, Alarm.occurred_at)


def _dirty(session: Session, after: int, upto: int, after_t: int, upto_t: int) -> set[Cell]:
    """New alarms' hours, and the hours of alarms whose transitions since the last run changed their outcome."""
    cells = RAW.touched(session, after, upto)
    if upto_t > after_t:
        h = epoch_hour(session, Alarm.occurred_at)
        rows = session.execute(
            select(Alarm.compound_id, h)
            .join(AlarmTransition, AlarmTransition.alarm_id == Alarm.id)
            .where(AlarmTransition.id > after_t, AlarmTransition.id <= upto_t)
            .group_by(Alarm.compound_id, h)
        )
        cells |= {(int(c), from_epoch_hour(hr)) for c, hr in rows}
    return cells


def _max_ids(session: Session) -> tuple[int, int]:
    t = session.execute(select(func.max(AlarmTransition.id))).scalar_one() or 0
    return RAW.max_id(session), int(t)


register_rollup(
    Rollup(
        name=NAME,
        table=AlarmHourly.__table__,
        keys=("kind", "severity", "outcome", "place"),
        values=("n",),
        aggregate=_aggregate,
        dirty=_dirty,
        max_ids=_max_ids,
        earliest=RAW.earliest,
    )
)
