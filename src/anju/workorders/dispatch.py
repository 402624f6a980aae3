"""Automatic dispatch: category → team, building → grid → grid worker; least-loaded or round-robin.

An order nobody can be picked for stays 待派单 on the board (a dispatcher assigns it, or a technician grabs it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.workorders.enums import OrderAction, OrderKind, OrderSource, OrderStatus
from anju.workorders.models import (
    GridWorker,
    WorkOrder,
    WorkOrderEvent,
    WorkTeam,
    WorkTeamMember,
)
from anju.workorders.repository import WorkOrderRepository

# How a team picks its member, as people read it (zh, en).
STRATEGY_LABELS: dict[str, tuple[str, str]] = {
    "least_loaded": ("派给当前工单最少者", "fewest open orders"),
    "round_robin": ("轮流派单", "in turn"),
}
WORKER_ROLES = ("property_staff", "technician", "grid_worker", "property_manager")


def technicians(session: Session, *, compound_id: int) -> list[int]:
    """Active users of the compound who may take orders."""
    from anju.accounts.service import staff_of

    return [u.id for u in staff_of(session, compound_id, WORKER_ROLES)]


def _candidates(session: Session, order: WorkOrder) -> tuple[list[int], WorkTeam | None]:
    """Grid workers for grid events in a grid that has them; otherwise the team that takes the category."""
    allowed = set(technicians(session, compound_id=order.compound_id))
    if order.source == OrderSource.grid and order.kind == OrderKind.hazard:
        # A grid worker's 随手拍 goes to the property team that takes its category (the source's example:
        # "平台自动派单给物业"); only without such a team does it stay with the grid's workers.
        users, team = _team_for(session, order, allowed)
        if team is not None and users:
            return users, team
    if order.grid_id is not None and (order.kind == OrderKind.hazard or order.source == OrderSource.grid):
        users = [
            u
            for u in session.execute(
                select(GridWorker.user_id).where(GridWorker.grid_id == order.grid_id).order_by(GridWorker.user_id)
            ).scalars()
            if u in allowed
        ]
        if users:
            return users, None
    return _team_for(session, order, allowed)


def _team_for(session: Session, order: WorkOrder, allowed: set[int]) -> tuple[list[int], WorkTeam | None]:
    """The first team of the compound that takes the order's category, with its allowed members."""
    teams = (
        session.execute(select(WorkTeam).where(WorkTeam.compound_id == order.compound_id).order_by(WorkTeam.id))
        .scalars()
        .all()
    )
    for team in teams:
        if order.category in (team.categories or []):
            users = [
                u
                for u in session.execute(
                    select(WorkTeamMember.user_id)
                    .where(WorkTeamMember.team_id == team.id)
                    .order_by(WorkTeamMember.user_id)
                ).scalars()
                if u in allowed
            ]
            return users, team
    return [], None


def _pick(session: Session, users: list[int], team: WorkTeam | None) -> int | None:
    if not users:
        return None
    if team is not None and team.strategy == "round_robin":
        for _ in range(5):  # compare-and-set on the cursor: concurrent picks take successive members
            cursor = session.execute(select(WorkTeam.rr_cursor).where(WorkTeam.id == team.id)).scalar_one()
            res = session.execute(
                update(WorkTeam)
                .where(WorkTeam.id == team.id, WorkTeam.rr_cursor == cursor)
                .values(rr_cursor=cursor + 1)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount == 1:  # type: ignore[attr-defined]
                return users[cursor % len(users)]
        return users[0]
    load = WorkOrderRepository(session).workload(users)
    return min(users, key=lambda u: (load[u], u))  # least loaded, lowest id on ties


def auto_dispatch(session: Session, *, order: WorkOrder, now: datetime, exclude: int | None = None) -> int | None:
    """Assign a new order if a team or grid takes it; returns the assignee or None."""
    users, team = _candidates(session, order)
    users = [u for u in users if u != exclude]
    uid = _pick(session, users, team)
    if uid is None:
        return None
    res = session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.status == OrderStatus.new)
        .values(
            status=OrderStatus.dispatched, assignee_user_id=uid, dispatched_at=now, team_id=team.id if team else None
        )
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        return None
    how_zh, how_en = (
        (
            f"班组 {team.name} · {STRATEGY_LABELS.get(team.strategy, STRATEGY_LABELS['least_loaded'])[0]}",
            f"team {team.name} · {STRATEGY_LABELS.get(team.strategy, STRATEGY_LABELS['least_loaded'])[1]}",
        )
        if team
        else ("网格员 · 派给当前工单最少者", "grid worker · fewest open orders")
    )
    session.add(
        WorkOrderEvent(
            order_id=order.id,
            compound_id=order.compound_id,
            action=OrderAction.dispatched.value,
            from_status=OrderStatus.new.value,
            to_status=OrderStatus.dispatched.value,
            note=f"自动派单：{how_zh} / auto-dispatched: {how_en}",
            at=now,
        )
    )
    session.flush()
    session.refresh(order)
    return uid


def redispatch(session: Session, *, order: WorkOrder, now: datetime) -> int | None:
    """Escalation L1 on a missed arrival: hand the order to another member, if there is one."""
    session.refresh(order)
    if order.status not in (OrderStatus.new, OrderStatus.dispatched, OrderStatus.accepted):
        return None
    users, team = _candidates(session, order)
    users = [u for u in users if u != order.assignee_user_id]
    uid = _pick(session, users, team)
    if uid is None:
        return None
    frm = order.status
    res = session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.status == frm)
        .values(status=OrderStatus.dispatched, assignee_user_id=uid, dispatched_at=now, accepted_at=None)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.add(
        WorkOrderEvent(
            order_id=order.id,
            compound_id=order.compound_id,
            action=OrderAction.transferred.value,
            from_status=frm.value,
            to_status=OrderStatus.dispatched.value,
            note="超时改派 / re-dispatched on breach",
            at=now,
        )
    )
    session.flush()
    session.refresh(order)
    return uid
