"""Who lives in a house: the one home of the current-occupancy rule.

Decision (issue 10), the lapsed lease. An occupancy is *open* until a move-out is recorded
(`ended_on`), and *current* on day D when it is open and, if it has a lease, D <= lease_end
(the lease's last day still counts). A tenant whose lease has passed without a recorded move-out:

- at the gate: is refused (no current home in the compound);
- in their house list (`Principal.house_ids`, household pages, bills, notices): the house is gone;
- for visitor passes: cannot issue one for that house, and is not called as the host.

They are not erased: the occupancy stays open, staff still see them on the house (registry pages,
roster export) and record the move-out or a renewed lease. Record keeping (moving out, retention,
roster import and export, staff's house views) therefore uses `open_occupancy_clause()`; everything
that grants something or counts residents uses `current_occupancy_clause()`. Days are China dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from anju.core.kit.china_time import china_date
from anju.registry.models import Occupancy


def open_occupancy_clause() -> ColumnElement[bool]:
    """The occupancy has no recorded move-out (a lapsed lease included)."""
    return Occupancy.ended_on.is_(None)


def current_occupancy_clause(on: date | ColumnElement[Any] | None = None) -> ColumnElement[bool]:
    """The occupant lives there on `on` (default: today in China): open, and any lease not yet past."""
    today = on if on is not None else china_date()
    return and_(open_occupancy_clause(), or_(Occupancy.lease_end.is_(None), Occupancy.lease_end >= today))


def is_current(occupancy: Occupancy, on: date | None = None) -> bool:
    """The same rule for a loaded row."""
    today = on if on is not None else china_date()
    return occupancy.ended_on is None and (occupancy.lease_end is None or occupancy.lease_end >= today)


def occupied_house_count(session: Session, compound_ids: Iterable[int]) -> int:
    """Households today: houses of these compounds with at least one current occupant."""
    return int(
        session.execute(
            select(func.count(func.distinct(Occupancy.house_id))).where(
                Occupancy.compound_id.in_(list(compound_ids)), current_occupancy_clause()
            )
        ).scalar_one()
    )
