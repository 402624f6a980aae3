"""The hourly rollup of device messages (issue 19): readings per compound, hour and kind, and the devices heard.

Registered with the kernel's rollup job (`anju.core.rollup`); bucketed by `received_at` (the server's time, as
the telemetry store's retention and queries are). `service.reading_counts` reads it with the raw tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from anju.core.rollup import Cell, Rollup, epoch_hour, from_epoch_hour, register_rollup
from anju.devices.models import DeviceHourly, DeviceMessage

NAME = "devices.messages"


def _aggregate(
    session: Session, start: datetime, end: datetime, compound_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    m = DeviceMessage
    h = epoch_hour(session, m.received_at)
    stmt = (
        select(m.compound_id, h, m.kind, func.count(), func.count(distinct(m.device_id)))
        .where(m.received_at >= start, m.received_at < end)
        .group_by(m.compound_id, h, m.kind)
    )
    if compound_ids is not None:
        stmt = stmt.where(m.compound_id.in_(list(compound_ids)))
    return [
        {"compound_id": c, "hour": from_epoch_hour(hr), "kind": k, "messages": int(n), "devices": int(d)}
        for c, hr, k, n, d in session.execute(stmt)
    ]


def _dirty(session: Session, after: int, upto: int, _a: int, _b: int) -> set[Cell]:
    if upto <= after:
        return set()
    m = DeviceMessage
    h = epoch_hour(session, m.received_at)
    rows = session.execute(select(m.compound_id, h).where(m.id > after, m.id <= upto).group_by(m.compound_id, h))
    return {(int(c), from_epoch_hour(hr)) for c, hr in rows}


def _max_ids(session: Session) -> tuple[int, int]:
    return int(session.execute(select(func.max(DeviceMessage.id))).scalar_one() or 0), 0


def _earliest(session: Session) -> datetime | None:
    return session.execute(select(func.min(DeviceMessage.received_at))).scalar_one()


register_rollup(
    Rollup(
        name=NAME,
        table=DeviceHourly.__table__,
        keys=("kind",),
        values=("messages", "devices"),
        aggregate=_aggregate,
        dirty=_dirty,
        max_ids=_max_ids,
        earliest=_earliest,
    )
)
