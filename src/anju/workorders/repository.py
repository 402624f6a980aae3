"""Every work-order query, scoped to what the caller may see (staff: granted compounds; residents: own orders)."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.kit.pagination import count as count_rows
from anju.workorders.enums import OPEN_STATUSES, OrderStatus, SlaState
from anju.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto

ACTIVE_WORK = (OrderStatus.dispatched, OrderStatus.accepted, OrderStatus.arrived, OrderStatus.waiting_owner)


def readable_orders(who: Principal) -> Select[WorkOrder]:
    """Staff see their compounds' orders; residents their own and their households' orders."""
    stmt = select(WorkOrder)
    if who.is_staff:
        return stmt.where(WorkOrder.compound_id.in_(who.compound_ids))
    mine = [WorkOrder.reporter_user_id == who.user_id]
    if who.house_ids:
        mine.append(WorkOrder.house_id.in_(who.house_ids))
    return stmt.where(WorkOrder.compound_id.in_(who.compound_ids), or_(*mine))


class WorkOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_readable(self, who: Principal, order_id: int) -> WorkOrder | None:
        return self.session.execute(readable_orders(who).where(WorkOrder.id == order_id)).scalar_one_or_none()

    def search(
        self,
        who: Principal,
        *,
        compound_id: int | None,
        status: list[OrderStatus] | None,
        sla_state: SlaState | None,
        kind: str | None,
        category: str | None,
        assignee_user_id: int | None,
        open_only: bool,
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[list[WorkOrder], int]:
        stmt = readable_orders(who)
        if compound_id is not None:
            stmt = stmt.where(WorkOrder.compound_id == compound_id)
        if status:
            stmt = stmt.where(WorkOrder.status.in_(status))
        if open_only:
            stmt = stmt.where(WorkOrder.status.in_(OPEN_STATUSES))
        if sla_state is not None:
            stmt = stmt.where(WorkOrder.sla_state == sla_state)
        if kind:
            stmt = stmt.where(WorkOrder.kind == kind)
        if category:
            stmt = stmt.where(WorkOrder.category == category)
        if assignee_user_id is not None:
            stmt = stmt.where(WorkOrder.assignee_user_id == assignee_user_id)
        total = -1
        if count:
            total = count_rows(self.session, stmt)
        rows = self.session.execute(stmt.order_by(WorkOrder.id.desc()).offset(offset).limit(limit)).scalars().all()
        return list(rows), total

    def timeline(self, order_id: int) -> list[WorkOrderEvent]:
        return list(
            self.session.execute(
                select(WorkOrderEvent)
                .where(WorkOrderEvent.order_id == order_id)
                .order_by(WorkOrderEvent.at, WorkOrderEvent.id)
            ).scalars()
        )

    def photos(self, order_id: int) -> list[WorkOrderPhoto]:
        return list(
            self.session.execute(
                select(WorkOrderPhoto).where(WorkOrderPhoto.order_id == order_id).order_by(WorkOrderPhoto.id)
            ).scalars()
        )

    def photo_count(self, order_id: int) -> int:
        return int(
            self.session.execute(
                select(func.count()).select_from(WorkOrderPhoto).where(WorkOrderPhoto.order_id == order_id)
            ).scalar_one()
        )

    def workload(self, user_ids: list[int]) -> dict[int, int]:
        """Open orders in hand per user (dispatched to, accepted, on site, waiting)."""
        rows = self.session.execute(
            select(WorkOrder.assignee_user_id, func.count())
            .where(WorkOrder.assignee_user_id.in_(user_ids or [-1]), WorkOrder.status.in_(ACTIVE_WORK))
            .group_by(WorkOrder.assignee_user_id)
        ).all()
        counts = dict.fromkeys(user_ids, 0)
        counts.update({int(u): int(n) for u, n in rows if u is not None})
        return counts

    def status_counts(self, compound_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(WorkOrder.status, func.count())
            .where(WorkOrder.compound_id == compound_id)
            .group_by(WorkOrder.status)
        ).all()
        return {str(s): int(n) for s, n in rows}
