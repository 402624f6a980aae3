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

from anju.core.rollup import RawLog, Rollup, epoch_hour, from_epoch_hour, register_rollup
from anju.devices.models import Device, DeviceHourly, DeviceMessage, DeviceOnlineHourly

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


RAW = RawLog(DeviceMessage.id, DeviceMessage.compound_id, DeviceMessage.received_at)


register_rollup(
    Rollup(
        name=NAME,
        table=DeviceHourly.__table__,
        keys=("kind",),
        values=("messages", "devices"),
        aggregate=_aggregate,
        dirty=RAW.dirty,
        max_ids=RAW.max_ids,
        earliest=RAW.earliest,
    )
)


# Device-hours online (issue 15): per compound and hour, the distinct devices heard, of those that must speak at
# least hourly (a device with a longer heartbeat can be silent for a whole hour and still be online).
ONLINE = "devices.online"
HOURLY_HEARTBEAT = 3600  # seconds: devices with a heartbeat up to this take part in the online rate


def online_query(session: Session, start: datetime, end: datetime | None, compound_ids: Sequence[int] | None) -> Any:
    """SQL: (compound, epoch hour, distinct devices heard) of [start, end) (the rollup and the raw tail alike)."""
    m = DeviceMessage
    h = epoch_hour(session, m.received_at)
    stmt = (
        select(m.compound_id, h, func.count(distinct(m.device_id)))
        .join(Device, Device.id == m.device_id)
        .where(m.received_at >= start, Device.heartbeat_seconds <= HOURLY_HEARTBEAT)
        .group_by(m.compound_id, h)
    )
    if end is not None:
        stmt = stmt.where(m.received_at < end)
    if compound_ids is not None:
        stmt = stmt.where(m.compound_id.in_(list(compound_ids)))
    return stmt


def _aggregate_online(
    session: Session, start: datetime, end: datetime, compound_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    return [
        {"compound_id": c, "hour": from_epoch_hour(hr), "devices": int(d)}
        for c, hr, d in session.execute(online_query(session, start, end, compound_ids))
    ]


register_rollup(
    Rollup(
        name=ONLINE,
        table=DeviceOnlineHourly.__table__,
        keys=(),
        values=("devices",),
        aggregate=_aggregate_online,
        dirty=RAW.dirty,
        max_ids=RAW.max_ids,
        earliest=RAW.earliest,
    )
)
