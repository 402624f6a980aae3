"""The hourly rollup of the access log (issue 19): passages per compound, hour, point, direction, decision, method.

Registered with the kernel's rollup job (`anju.core.rollup`); `decision_service.passage_counts` reads it for
closed hours and the raw log for the rest, so the 大屏's access layer and tiles stay flat as the log grows.
Bucketed by `server_at` (when the server stored the passage), so a replayed offline batch counts in the hour it
arrived, as the raw query always did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.access.models import AccessHourly, AccessLog
from anju.core.rollup import RawLog, Rollup, epoch_hour, from_epoch_hour, register_rollup

NAME = "access.passages"


def _aggregate(
    session: Session, start: datetime, end: datetime, compound_ids: Sequence[int] | None
) -> list[dict[str, Any]]:
    h = epoch_hour(session, AccessLog.server_at)
    visitor = AccessLog.visitor_pass_id.is_not(None)
    point = func.coalesce(AccessLog.access_point_id, 0)
    stmt = (
        select(
            AccessLog.compound_id,
            h,
            point,
            AccessLog.direction,
            AccessLog.decision,
            AccessLog.method,
            visitor,
            func.count(),
        )
        .where(AccessLog.server_at >= start, AccessLog.server_at < end)
        .group_by(AccessLog.compound_id, h, point, AccessLog.direction, AccessLog.decision, AccessLog.method, visitor)
    )
    if compound_ids is not None:
        stmt = stmt.where(AccessLog.compound_id.in_(list(compound_ids)))
    return [
        {
            "compound_id": c,
            "hour": from_epoch_hour(hr),
            "access_point_id": int(p),
            "direction": d or "in",
            "decision": str(dec),
            "method": str(m),
            "visitor": bool(v),
            "n": int(n),
        }
        for c, hr, p, d, dec, m, v, n in session.execute(stmt)
    ]


RAW = RawLog(AccessLog.id, AccessLog.compound_id, AccessLog.server_at)


register_rollup(
    Rollup(
        name=NAME,
        table=AccessHourly.__table__,
        keys=("access_point_id", "direction", "decision", "method", "visitor"),
        values=("n",),
        aggregate=_aggregate,
        dirty=RAW.dirty,
        max_ids=RAW.max_ids,
        earliest=RAW.earliest,
    )
)
