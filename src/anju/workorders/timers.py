"""Deadline timers: rows planned when the clock starts, fired or cancelled once by compare-and-set.

Two workers can run `fire_due` at the same moment: each timer's pending → fired UPDATE matches for one
of them only, and only that one writes the timeline, notifies and re-dispatches.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from anju.core.db import utcnow
from anju.workorders.enums import (
    OPEN_STATUSES,
    PAUSED_STATUSES,
    OrderAction,
    OrderStatus,
    SlaState,
)
from anju.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderTimer
from anju.workorders.sla import LEVEL_TARGETS, sla_for, timer_plan

_LEVEL_ZH = {1: "主管", 2: "经理", 3: "公司"}
_LEVEL_EN = {1: "supervisor", 2: "manager", 3: "company"}
_DEADLINE_ZH = {"response": "到场", "resolution": "完成"}


def start_clock(session: Session, *, order: WorkOrder, grade: int, now: datetime) -> None:
    """Set the order's deadlines from its SLA and plan its warning and escalation timers."""
    sla = sla_for(
        session,
        compound_id=order.compound_id,
        grade=grade,
        kind=order.kind,
        category=order.category,
        priority=order.priority,
    )
    values: dict[str, object] = {"sla_state": SlaState.none if sla.empty else SlaState.ok}
    for deadline, minutes in (("response", sla.response_minutes), ("resolution", sla.resolution_minutes)):
        if minutes is None:
            values[f"{deadline}_due_at"] = None
            continue
        plan = timer_plan(now, minutes, sla.calendar)
        values[f"{deadline}_due_at"] = plan[1][1]
        session.add_all(
            WorkOrderTimer(order_id=order.id, compound_id=order.compound_id, deadline=deadline, level=level, due_at=due)
            for level, due in plan
        )
    for k, v in values.items():
        setattr(order, k, v)
    session.flush()


def cancel(session: Session, *, order_id: int, deadline: str | None) -> int:
    """Cancel pending timers of one deadline (None: all), e.g. on arrival or completion."""
    where = [WorkOrderTimer.order_id == order_id, WorkOrderTimer.status == "pending"]
    if deadline is not None:
        where.append(WorkOrderTimer.deadline == deadline)
    res = session.execute(
        update(WorkOrderTimer).where(*where).values(status="cancelled").execution_options(synchronize_session=False)
    )
    return int(res.rowcount)  # type: ignore[attr-defined]


def clear(session: Session, *, order_id: int) -> None:
    """A reopened order starts a new clock: its old timers go (the timeline keeps what they did)."""
    session.execute(
        delete(WorkOrderTimer).where(WorkOrderTimer.order_id == order_id).execution_options(synchronize_session=False)
    )


def shift(session: Session, *, order_id: int, by: timedelta) -> None:
    """A pause ended: every pending timer moves back by its length (the clock did not run meanwhile)."""
    rows = (
        session.execute(
            select(WorkOrderTimer).where(WorkOrderTimer.order_id == order_id, WorkOrderTimer.status == "pending")
        )
        .scalars()
        .all()
    )
    for t in rows:
        t.due_at = t.due_at + by
    session.flush()


def _targets(session: Session, *, compound_id: int, roles: tuple[str, ...]) -> list[int]:
    from anju.accounts.models import User
    from anju.accounts.service import staff_of

    ids = {u.id for u in staff_of(session, compound_id, roles)}
    if "platform_admin" in roles:
        ids |= set(
            session.execute(select(User.id).where(User.role == "platform_admin", User.active.is_(True))).scalars()
        )
    return sorted(ids)


def fire_due(
    session: Session, *, now: datetime | None = None, worker_id: str = "worker", limit: int = 500
) -> list[tuple[int, str, int]]:
    """Fire due timers of running clocks; returns (order_id, deadline, level) of those this caller fired."""
    from anju.notify.service import notify_service
    from anju.workorders import dispatch

    now = now or utcnow()
    due = session.execute(
        select(WorkOrderTimer, WorkOrder)
        .join(WorkOrder, WorkOrder.id == WorkOrderTimer.order_id)
        .where(
            WorkOrderTimer.status == "pending", WorkOrderTimer.due_at <= now, WorkOrder.status.not_in(PAUSED_STATUSES)
        )  # a paused clock does not run
        .order_by(WorkOrderTimer.due_at, WorkOrderTimer.id)
        .limit(limit)
    ).all()
    fired: list[tuple[int, str, int]] = []
    for timer, order in due:
        needed = order.status in OPEN_STATUSES and (timer.deadline == "resolution" or order.arrived_at is None)
        res = session.execute(
            update(WorkOrderTimer)
            .where(WorkOrderTimer.id == timer.id, WorkOrderTimer.status == "pending")
            .values(status="fired" if needed else "cancelled", fired_at=now, fired_by=worker_id)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1 or not needed:  # type: ignore[attr-defined]
            continue  # another worker fired it first, or the deadline was met meanwhile
        what = _DEADLINE_ZH[timer.deadline]
        if timer.level == 0:
            session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == order.id, WorkOrder.sla_state == SlaState.ok)
                .values(sla_state=SlaState.warning)
                .execution_options(synchronize_session=False)
            )
            note = f"{what}时限已用 80% / 80 % of the {timer.deadline} time used"
            users = (
                [order.assignee_user_id]
                if order.assignee_user_id
                else _targets(session, compound_id=order.compound_id, roles=("property_staff",))
            )
            action = OrderAction.warned
        else:
            session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == order.id)
                .values(sla_state=SlaState.breached)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == order.id, WorkOrder.escalation_level < timer.level)
                .values(escalation_level=timer.level)
                .execution_options(synchronize_session=False)
            )
            users = _targets(session, compound_id=order.compound_id, roles=LEVEL_TARGETS[timer.level])
            zh = f"{what}超时，升级 L{timer.level}（{_LEVEL_ZH[timer.level]}）"
            en = f"{timer.deadline} deadline breached: escalated L{timer.level} ({_LEVEL_EN[timer.level]})"
            if timer.level == 3 and order.category == "fire_safety":
                zh += "；消防隐患仍未消除，请上报主管部门（R-S3）"
                en += "; fire hazard still open, report it to the authorities (R-S3)"
            note = f"{zh} / {en}"
            action = OrderAction.escalated
        session.add(
            WorkOrderEvent(
                order_id=order.id,
                compound_id=order.compound_id,
                action=action.value,
                from_status=str(order.status),
                to_status=str(order.status),
                note=note,
                at=now,
            )
        )
        notify_service.inbox(
            session,
            user_ids=users,
            compound_id=order.compound_id,
            category="workorder_sla",
            title=f"【工单{('预警' if timer.level == 0 else '超时')}】#{order.id} {order.title}",
            body=note,
        )
        if timer.level == 1 and timer.deadline == "response":
            dispatch.redispatch(session, order=order, now=now)  # nobody arrived: give it to someone else
        fired.append((order.id, timer.deadline, timer.level))
    session.flush()
    return fired


def live_state(order: WorkOrder, now: datetime) -> SlaState:
    """The SLA state at `now` from the deadlines (the stored state lags by up to one timer tick)."""
    if order.sla_state == SlaState.none:
        return SlaState.none
    due = [
        d
        for d in (
            order.response_due_at if order.arrived_at is None else None,
            order.resolution_due_at if order.completed_at is None else None,
        )
        if d is not None
    ]
    if order.status not in OPEN_STATUSES or not due or order.status == OrderStatus.closed:
        return order.sla_state
    if order.paused_at is not None:
        now = order.paused_at
    if any(now > d for d in due):
        return SlaState.breached
    return order.sla_state
