"""Work-order rules: intake, the state machine with its timeline, grab by compare-and-set, pauses, rating.

Every status change is one conditional UPDATE on the status it started from (R6), so two users acting at
once never both succeed; the loser gets a 409 with the reason. Services flush, the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, Invalid
from anju.core.rbac import Permission, Role
from anju.workorders import dispatch, timers
from anju.workorders.enums import (
    ALLOWED_FROM,
    AUTHORITY_CATEGORIES,
    DONE_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    OrderAction,
    OrderKind,
    OrderSource,
    OrderStatus,
    Priority,
    SlaState,
)
from anju.workorders.events import WorkOrderClosedForAlarm, WorkOrderCompleted
from anju.workorders.exceptions import (
    AlreadyTaken,
    BadAssignee,
    BadTarget,
    NotReporter,
    NotYourOrder,
    OrderNotFound,
    OrderStateConflict,
    ReporterNotFound,
)
from anju.workorders.models import WorkOrder, WorkOrderEvent
from anju.workorders.permissions import WorkOrdersPerm
from anju.workorders.repository import WorkOrderRepository
from anju.workorders.schemas import OrderActionBody, OrderCreate

# How an order came in, for the timeline's first line (zh, en).
SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "h5": ("住户报修", "reported by a resident"),
    "phone": ("电话报修", "taken by phone"),
    "grid": ("网格员上报", "reported by a grid worker"),
    "alarm": ("告警联动", "opened by an alarm"),
    "inspection": ("巡检发现", "found on inspection"),
    "staff": ("物业上报", "reported by staff"),
}
RESIDENT_KINDS = frozenset(
    {OrderKind.household_repair, OrderKind.common_repair, OrderKind.complaint, OrderKind.suggestion, OrderKind.hazard}
)
# Alarm kinds → (category, priority) of the order the alarm centre asks for (R-S1, R-S3).
ALARM_PRIORITY = {
    "critical": Priority.emergency,
    "major": Priority.urgent,
    "minor": Priority.normal,
    "info": Priority.low,
}
_STATUS_ZH = {
    "new": "待派单",
    "dispatched": "已派单",
    "accepted": "已接单",
    "arrived": "已到场",
    "waiting_owner": "等待业主",
    "suspended": "已挂起",
    "completed": "已完工",
    "followed_up": "已回访",
    "closed": "已关闭",
}


def conflict(
    order: WorkOrder, action: OrderAction, why_zh: str | None = None, why_en: str | None = None
) -> OrderStateConflict:
    """A 409 that names the state and the action, in both languages."""
    status = str(order.status)
    return OrderStateConflict(
        why_en or f"order #{order.id} is {status}; '{action.value}' is not allowed",
        zh=why_zh or f"工单 #{order.id} 当前为「{_STATUS_ZH.get(status, status)}」，不能执行此操作",
    )


class WorkOrderService:
    # ---- intake ---------------------------------------------------------------------------------
    def open(
        self,
        session: Session,
        *,
        by: Principal | None,
        data: OrderCreate,
        source: OrderSource | None = None,
        now: datetime | None = None,
        alarm_id: int | None = None,
    ) -> WorkOrder:
        """Open an order for a house or building of the compound; deadlines and timers start now."""
        from anju.registry.models import Building, Compound, GridBuilding, House

        now = now or utcnow()
        compound_id = data.compound_id
        house = session.get(House, data.house_id) if data.house_id is not None else None
        if data.house_id is not None and house is None:
            raise BadTarget(f"house {data.house_id} not found", zh=f"房屋 {data.house_id} 不存在")
        if by is not None and not by.is_staff:
            if data.kind not in RESIDENT_KINDS:
                raise Invalid(f"residents cannot open '{data.kind.value}' orders", zh="住户不能提交此类工单")
            if house is None and data.kind == OrderKind.household_repair:
                raise BadTarget("a household repair needs your house", zh="户内维修须选择您的房屋")
            if house is not None and house.id not in by.house_ids:
                raise OrderNotFound(f"house {house.id}", zh="房屋不存在")
            compound_id = house.compound_id if house is not None else next(iter(sorted(by.compound_ids)), None)
            source = OrderSource.h5
        elif house is not None:
            compound_id = compound_id or house.compound_id
        if compound_id is None:
            raise Invalid(
                "compound_id is required",
                zh="请指定小区",
                fields=[{"field": "compound_id", "message": "required / 必填"}],
            )
        if by is not None and not by.in_scope(compound_id):
            raise OrderNotFound(f"compound {compound_id}", zh="小区不存在")
        if house is not None and house.compound_id != compound_id:
            raise BadTarget(f"house {house.id} is not in compound {compound_id}", zh="房屋不属于该小区")
        building_id = house.building_id if house is not None else data.building_id
        if building_id is not None:
            building = session.get(Building, building_id)
            if building is None or building.compound_id != compound_id:
                raise BadTarget(f"building {building_id} is not in compound {compound_id}", zh="楼栋不属于该小区")
        grid_id = None
        if building_id is not None:
            grid_id = session.execute(
                select(GridBuilding.grid_id).where(GridBuilding.building_id == building_id)
            ).scalar_one_or_none()
        if source is None:
            source = OrderSource.grid if by is not None and by.role == Role.grid_worker else OrderSource.phone
        reporter_person = data.reporter_person_id if by is not None and by.is_staff else (by.person_id if by else None)
        if reporter_person is not None and by is not None and by.is_staff:
            # The caller is someone of this compound: another compound's person id is not found here (item 7).
            from anju.registry.models import Person

            owner = session.execute(select(Person.compound_id).where(Person.id == reporter_person)).scalar_one_or_none()
            if owner != compound_id:
                raise ReporterNotFound(f"person {reporter_person} not found in compound {compound_id}")
        order = WorkOrder(
            compound_id=compound_id,
            kind=data.kind,
            category=data.category,
            priority=data.priority,
            source=source,
            title=data.title,
            description=data.description,
            location=data.location,
            status=OrderStatus.new,
            building_id=building_id,
            house_id=house.id if house else None,
            grid_id=grid_id,
            reporter_user_id=by.user_id if by is not None and not by.is_staff else None,
            reporter_person_id=reporter_person,
            created_by_user_id=by.user_id if by else None,
            alarm_id=alarm_id,
            created_at=now,
            sla_state=SlaState.ok,
            paused_seconds=0,
            escalation_level=0,
        )
        session.add(order)
        session.flush()
        compound = session.get(Compound, compound_id)
        grade = compound.service_grade if compound is not None else 1
        timers.start_clock(session, order=order, grade=grade, now=now)
        how = SOURCE_LABELS.get(source.value, ("工单", "order"))
        self._log(
            session, order, OrderAction.created, None, by, f"{how[0]}：{data.title} / {how[1]}: {data.title}", now
        )
        dispatch.auto_dispatch(session, order=order, now=now)
        return order

    def open_from_alarm(
        self,
        session: Session,
        *,
        alarm_id: int,
        compound_id: int,
        kind: str,
        severity: str,
        category: str,
        title: str,
        building_id: int | None,
        house_id: int | None,
        floor: int | None,
        now: datetime | None = None,
        basis: str | None = None,
    ) -> tuple[WorkOrder, bool]:
        """The alarm centre's request: one order per alarm, however often the event is delivered.

        A violation (R-S1 e-bike, R-S3 blocked fire lane) carries its legal basis from the alarm policy and
        is marked 消防违规 so it can later be reported to the authorities (R-W4)."""
        from anju.alarms.labels import kind_label, severity_label
        from anju.alarms.policies import BASIS, EBIKE_KINDS, OBSTRUCTION_KINDS

        existing = session.execute(select(WorkOrder).where(WorkOrder.alarm_id == alarm_id)).scalar_one_or_none()
        if existing is not None:
            return existing, False
        priority = ALARM_PRIORITY.get(severity, Priority.urgent)
        if category == "fire_safety" and priority in (Priority.normal, Priority.low):
            priority = Priority.urgent  # fire safety is never routine
        if kind in OBSTRUCTION_KINDS:
            priority = Priority.emergency  # R-S3: a blocked fire lane or exit is high priority whatever the severity
        where = f"{floor}层" if floor is not None else ""
        basis = basis or BASIS.get(kind)  # an event published before the policy carried it
        violation = kind in EBIKE_KINDS or kind in OBSTRUCTION_KINDS
        data = OrderCreate(
            compound_id=compound_id,
            kind=OrderKind.alarm,
            category=category or "repair",
            priority=priority,
            title=title[:200] if len(title) >= 2 else f"告警：{kind_label(kind)[0]}",
            description=(
                f"{'【消防违规】' if violation else ''}告警 #{alarm_id}（{kind_label(kind)[0]} · {severity_label(severity)[0]}）"
                f"联动生成{('，' + where) if where else ''}"
                f"{('；依据' + basis) if basis else ''}"
            )[:4000],
            house_id=house_id,
            building_id=None if house_id else building_id,
        )
        try:
            with session.begin_nested():
                order = self.open(session, by=None, data=data, source=OrderSource.alarm, now=now, alarm_id=alarm_id)
        except IntegrityError:  # a rival delivery of the same event inserted it first
            order = session.execute(select(WorkOrder).where(WorkOrder.alarm_id == alarm_id)).scalar_one()
            return order, False
        return order, True

    # ---- staff phone pages (issue 17) -----------------------------------------------------------
    def get(self, session: Session, *, by: Principal, order_id: int) -> WorkOrder:
        order = WorkOrderRepository(session).get_readable(by, order_id)
        if order is None:
            raise OrderNotFound(f"work order {order_id}")
        return order

    def assigned_to_me(self, session: Session, *, by: Principal, compound_id: int) -> list[WorkOrder]:
        """My open orders, the most urgent deadline first."""
        rows = session.execute(
            select(WorkOrder)
            .where(
                WorkOrder.compound_id == compound_id,
                WorkOrder.compound_id.in_(by.compound_ids),
                WorkOrder.assignee_user_id == by.user_id,
                WorkOrder.status.in_([s.value for s in OPEN_STATUSES]),
            )
            .order_by(WorkOrder.resolution_due_at.is_(None), WorkOrder.resolution_due_at, WorkOrder.id)
            .limit(100)
        ).scalars()
        return list(rows)

    def number_to_call(self, session: Session, *, by: Principal, order_id: int, reason: str = "") -> str:
        """The number behind "call the household" for the technician of an open order, who holds no unmask right: the reporter,
        else the house's members, dialled through the registry (the number goes to the phone, never to a page,
        and the access is logged with the order as its reason). Anyone else, or a closed order, is refused."""
        from anju.registry.service import house_service, person_service

        by.require(WorkOrdersPerm.work)
        order = self.get(session, by=by, order_id=order_id)
        if order.assignee_user_id != by.user_id:
            raise NotYourOrder("only the technician assigned to this order may call the household")
        if order.status not in OPEN_STATUSES:
            raise Conflict("the order is no longer open", zh="工单已完结，不能再拨打住户电话")
        people: list[int] = [order.reporter_person_id] if order.reporter_person_id else []
        if order.house_id is not None:
            house = house_service.get_readable(session, who=by, house_id=order.house_id)
            people += [m.person_id for m in house_service.household(session, house).members]
        why = f"work order #{order.id}: call the household" + (f" ({reason.strip()[:100]})" if reason.strip() else "")
        number = person_service.number_for_call(
            session, who=by, compound_id=order.compound_id, person_ids=list(dict.fromkeys(people)), reason=why
        )
        if number is None:
            raise Conflict("nobody with a phone number to call for this order", zh="该工单没有可拨打的住户电话")
        return number

    def record_parts(self, session: Session, *, by: Principal, order_id: int, parts_used: str) -> WorkOrder:
        """The parts the assigned technician used on the job, as they wrote them (blank: none)."""
        by.require(WorkOrdersPerm.work)
        order = self.get(session, by=by, order_id=order_id)
        if order.assignee_user_id != by.user_id:
            raise NotYourOrder(f"order #{order_id} is not assigned to you")
        order.parts_used = " ".join(parts_used.split())[:500] or None
        session.flush()
        return order

    def open_count(self, session: Session, *, by: Principal) -> int:
        """Open orders the caller may read: a resident's own repairs in progress (the H5 home's counter)."""
        return WorkOrderRepository(session).search(
            by,
            compound_id=None,
            status=None,
            sla_state=None,
            kind=None,
            category=None,
            assignee_user_id=None,
            open_only=True,
            offset=0,
            limit=1,
        )[1]

    def reported_by_me(self, session: Session, *, by: Principal, compound_id: int) -> list[WorkOrder]:
        """Orders I opened (a grid worker's 随手拍), newest first, with their progress."""
        rows = session.execute(
            select(WorkOrder)
            .where(
                WorkOrder.compound_id == compound_id,
                WorkOrder.compound_id.in_(by.compound_ids),
                WorkOrder.created_by_user_id == by.user_id,
            )
            .order_by(WorkOrder.id.desc())
            .limit(50)
        ).scalars()
        return list(rows)

    def my_grid_buildings(self, session: Session, *, by: Principal, compound_id: int) -> list[tuple[str, int]]:
        """(grid name, building id) of the grids I look after in a compound."""
        from anju.registry.models import Grid, GridBuilding
        from anju.workorders.models import GridWorker

        rows = session.execute(
            select(Grid.name, GridBuilding.building_id)
            .join(GridWorker, GridWorker.grid_id == Grid.id)
            .join(GridBuilding, GridBuilding.grid_id == Grid.id)
            .where(GridWorker.user_id == by.user_id, Grid.compound_id == compound_id)
            .where(Grid.compound_id.in_(by.compound_ids))
            .order_by(Grid.id, GridBuilding.building_id)
        ).all()
        return [(str(n), int(b)) for n, b in rows]

    def snap(
        self,
        session: Session,
        *,
        by: Principal,
        compound_id: int,
        category: str,
        title: str,
        building_id: int | None,
        location: str | None,
        description: str,
        photo: bytes,
        now: datetime | None = None,
    ) -> WorkOrder:
        """随手拍: a photo and a place become a hazard order, routed by the work-order rules (2-hour deadline)."""
        from anju.workorders import photos

        by.require(WorkOrdersPerm.work)
        photos.sniff(photo)  # not an image: refused before anything is recorded
        order = self.open(
            session,
            by=by,
            data=OrderCreate(
                compound_id=compound_id,
                kind=OrderKind.hazard,
                category=category,
                priority=Priority.urgent,
                title=title,
                description=description,
                building_id=building_id,
                location=location,
            ),
            source=OrderSource.grid if by.role == Role.grid_worker else OrderSource.staff,
            now=now,
        )
        photos.attach(session, by=by, order=order, data=photo, stage="before")
        session.refresh(order)
        return order

    def of_alarm(self, session: Session, *, alarm_id: int, compound_id: int) -> WorkOrder | None:
        """The order an alarm opened, if any (the alarm panel shows the link)."""
        return session.execute(
            select(WorkOrder).where(WorkOrder.alarm_id == alarm_id, WorkOrder.compound_id == compound_id)
        ).scalar_one_or_none()

    def close_for_alarm(
        self, session: Session, *, alarm_id: int, compound_id: int, outcome: str | None, now: datetime | None = None
    ) -> WorkOrder | None:
        """The alarm was resolved or marked false: its order, if still open, closes with it (once)."""
        from anju.alarms.labels import OUTCOME_LABELS, bilingual

        now = now or utcnow()
        order = self.of_alarm(session, alarm_id=alarm_id, compound_id=compound_id)
        if order is None or order.status not in OPEN_STATUSES:
            return None
        why = bilingual(OUTCOME_LABELS.get(outcome or "", ("已处理", "resolved")))
        note = f"告警 #{alarm_id} 已关闭，工单随之关闭 / alarm #{alarm_id} closed, so is this order: {why}"
        if not self._close_for_source(session, order, note=note, now=now, values={"closed_at": now}):
            return None  # someone moved it at the same moment; the next delivery sees its new state
        events.publish(
            session,
            WorkOrderClosedForAlarm(order_id=order.id, compound_id=compound_id, alarm_id=alarm_id),
            compound_id=compound_id,
        )
        return order

    def close_linked(
        self, session: Session, *, order_id: int, compound_id: int, note: str, now: datetime | None = None
    ) -> WorkOrder | None:
        """The domain that opened an order (care's visit) recorded its outcome: the order, if still open, closes
        with that note (once; a rival move first leaves it as it is)."""
        now = now or utcnow()
        order = session.get(WorkOrder, order_id)
        if order is None or order.compound_id != compound_id or order.status not in OPEN_STATUSES:
            return None
        values = {"closed_at": now, "completed_at": order.completed_at or now}
        return order if self._close_for_source(session, order, note=note, now=now, values=values) else None

    def _close_for_source(
        self, session: Session, order: WorkOrder, *, note: str, now: datetime, values: dict[str, Any]
    ) -> bool:
        """Close an open order on the word of what opened it (an alarm, a care visit) and stop its SLA timers;
        False when a rival move got there first (the order is left as that move made it)."""
        try:
            self.move(
                session,
                order,
                action=OrderAction.closed,
                to=OrderStatus.closed,
                by=None,
                note=note,
                now=now,
                values=values,
            )
        except OrderStateConflict:
            return False
        timers.cancel(session, order_id=order.id, deadline=None)
        return True

    # ---- the state machine ----------------------------------------------------------------------
    def act(
        self, session: Session, *, by: Principal, order_id: int, body: OrderActionBody, now: datetime | None = None
    ) -> WorkOrder:
        """Apply one action; each checks role, ownership and state, and writes the timeline."""
        now = now or utcnow()
        if body.action == OrderAction.grabbed:
            return self.grab(session, by=by, order_id=order_id, now=now)
        order = WorkOrderRepository(session).get_readable(by, order_id)
        if order is None:
            raise OrderNotFound(f"work order {order_id}")
        handler = _HANDLERS.get(body.action)
        if handler is None:
            raise Invalid(f"'{body.action.value}' is not an action you can take", zh="不支持的操作")
        _role_first(by, body.action)  # 403 for the role before any 409 about the state
        if body.action == OrderAction.closed and order.assignee_user_id is None:
            raise conflict(
                order,
                body.action,
                "未指派处理人的工单不能关闭",
                f"order #{order.id} has no assignee; it cannot be closed",
            )
        allowed = ALLOWED_FROM.get(body.action)
        if allowed is not None and order.status not in allowed and body.action != OrderAction.rated:
            raise conflict(order, body.action)
        handler(self, session, by, order, body, now)
        session.flush()
        session.refresh(order)
        return order

    def grab(self, session: Session, *, by: Principal, order_id: int, now: datetime | None = None) -> WorkOrder:
        """Grab mode: the first technician's compare-and-set wins; everyone else gets a 409."""
        by.require(WorkOrdersPerm.work)
        now = now or utcnow()
        # The UPDATE comes first, so on SQLite the write lock is taken before anything is read.
        res = session.execute(
            update(WorkOrder)
            .where(
                WorkOrder.id == order_id,
                WorkOrder.compound_id.in_(by.compound_ids),
                WorkOrder.status == OrderStatus.new,
                WorkOrder.assignee_user_id.is_(None),
            )
            .values(status=OrderStatus.accepted, assignee_user_id=by.user_id, dispatched_at=now, accepted_at=now)
            .execution_options(synchronize_session=False)
        )
        order = WorkOrderRepository(session).get_readable(by, order_id)
        if order is None:
            raise OrderNotFound(f"work order {order_id}")
        session.refresh(order)
        if res.rowcount != 1:  # type: ignore[attr-defined]
            if order.assignee_user_id is not None:
                raise AlreadyTaken(f"order #{order_id} was taken by someone else", zh=f"工单 #{order_id} 已被他人抢单")
            raise conflict(order, OrderAction.grabbed)
        self._log(session, order, OrderAction.grabbed, OrderStatus.new, by, None, now)
        session.flush()
        return order

    # ---- helpers used by the handlers -----------------------------------------------------------
    def _log(
        self,
        session: Session,
        order: WorkOrder,
        action: OrderAction,
        frm: OrderStatus | str | None,
        by: Principal | None,
        note: str | None,
        now: datetime,
    ) -> None:
        session.add(
            WorkOrderEvent(
                order_id=order.id,
                compound_id=order.compound_id,
                action=action.value,
                from_status=str(frm) if frm is not None else None,
                to_status=str(order.status),
                actor_user_id=by.user_id if by else None,
                note=(note or None) and note[:500],
                at=now,
            )
        )

    def move(
        self,
        session: Session,
        order: WorkOrder,
        *,
        action: OrderAction,
        to: OrderStatus,
        by: Principal | None,
        note: str | None,
        now: datetime,
        values: dict[str, Any] | None = None,
        where: tuple[Any, ...] = (),
    ) -> None:
        """Compare-and-set the status (and anything else) from what we read; 409 if someone moved it first."""
        frm = order.status
        res = session.execute(
            update(WorkOrder)
            .where(WorkOrder.id == order.id, WorkOrder.status == frm, *where)
            .values(status=to, **(values or {}))
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(order)
            raise OrderStateConflict(
                f"order #{order.id} changed meanwhile (now {order.status}); refresh", zh="工单状态已变化，请刷新"
            )
        session.refresh(order)
        self._log(session, order, action, frm, by, note, now)


_DISPATCH_ONLY = frozenset(
    {
        OrderAction.dispatched,
        OrderAction.suspended,
        OrderAction.followed_up,
        OrderAction.closed,
        OrderAction.reported_authority,
    }
)
_WORK = frozenset(
    {
        OrderAction.accepted,
        OrderAction.returned,
        OrderAction.transferred,
        OrderAction.arrived,
        OrderAction.waiting_owner,
        OrderAction.completed,
        OrderAction.quoted,
    }
)


def _role_first(by: Principal, action: OrderAction) -> None:
    if action in _DISPATCH_ONLY:
        by.require(WorkOrdersPerm.dispatch)
    elif action in _WORK and not (by.can(WorkOrdersPerm.work) or by.can(WorkOrdersPerm.dispatch)):
        by.require(WorkOrdersPerm.work)


def _need(by: Principal, perm: Permission) -> None:
    by.require(perm)


def _own(by: Principal, order: WorkOrder) -> None:
    """Technician actions: only the assignee (a dispatcher may act for them)."""
    if order.assignee_user_id == by.user_id:
        _need(by, WorkOrdersPerm.work)
        return
    if by.can(WorkOrdersPerm.dispatch):
        return
    raise NotYourOrder(f"order #{order.id} is assigned to someone else", zh=f"工单 #{order.id} 未指派给您")


def _assignee(session: Session, order: WorkOrder, user_id: int | None) -> int:
    if user_id is None:
        raise BadAssignee(
            "assignee_user_id is required",
            zh="请选择处理人",
            fields=[{"field": "assignee_user_id", "message": "required / 必填"}],
        )
    if user_id not in dispatch.technicians(session, compound_id=order.compound_id):
        raise BadAssignee(f"user {user_id} cannot take orders of compound {order.compound_id}")
    return user_id


def _dispatch(
    svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
) -> None:
    _need(by, WorkOrdersPerm.dispatch)
    uid = _assignee(s, o, b.assignee_user_id)
    svc.move(
        s,
        o,
        action=OrderAction.dispatched,
        to=OrderStatus.dispatched,
        by=by,
        note=b.note,
        now=now,
        values={"assignee_user_id": uid, "dispatched_at": now},
    )


def _accept(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    if o.assignee_user_id != by.user_id:
        raise NotYourOrder(f"order #{o.id} is assigned to someone else", zh=f"工单 #{o.id} 未指派给您")
    _need(by, WorkOrdersPerm.work)
    svc.move(
        s,
        o,
        action=OrderAction.accepted,
        to=OrderStatus.accepted,
        by=by,
        note=b.note,
        now=now,
        values={"accepted_at": now},
    )


def _return(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    _own(by, o)
    if not b.note:
        raise Invalid(
            "a reason is required to return an order",
            zh="退单须填写原因",
            fields=[{"field": "note", "message": "required / 必填"}],
        )
    svc.move(
        s,
        o,
        action=OrderAction.returned,
        to=OrderStatus.new,
        by=by,
        note=b.note,
        now=now,
        values={"assignee_user_id": None, "accepted_at": None},
    )


def _transfer(
    svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
) -> None:
    _own(by, o)
    uid = _assignee(s, o, b.assignee_user_id)
    if uid == o.assignee_user_id:
        raise BadAssignee("transfer to someone else", zh="转派对象不能是当前处理人")
    svc.move(
        s,
        o,
        action=OrderAction.transferred,
        to=OrderStatus.dispatched,
        by=by,
        note=b.note,
        now=now,
        values={"assignee_user_id": uid, "dispatched_at": now, "accepted_at": None},
    )


def _arrive(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    _own(by, o)
    met = None if o.response_due_at is None else now <= o.response_due_at
    svc.move(
        s,
        o,
        action=OrderAction.arrived,
        to=OrderStatus.arrived,
        by=by,
        note=b.note,
        now=now,
        values={"arrived_at": now, "response_met": met, "accepted_at": o.accepted_at or now},
    )
    timers.cancel(s, order_id=o.id, deadline="response")


def _wait_owner(
    svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
) -> None:
    _own(by, o)
    svc.move(
        s,
        o,
        action=OrderAction.waiting_owner,
        to=OrderStatus.waiting_owner,
        by=by,
        note=b.note,
        now=now,
        values={"paused_at": now, "paused_from": OrderStatus.arrived.value},
    )


def _suspend(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    _need(by, WorkOrdersPerm.dispatch)
    if not b.note:
        raise Invalid(
            "a reason is required to suspend",
            zh="挂起须填写原因",
            fields=[{"field": "note", "message": "required / 必填"}],
        )
    svc.move(
        s,
        o,
        action=OrderAction.suspended,
        to=OrderStatus.suspended,
        by=by,
        note=b.note,
        now=now,
        values={"paused_at": now, "paused_from": o.status.value},
    )


def _resume(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    if o.status not in PAUSED_STATUSES or o.paused_at is None:
        raise conflict(o, OrderAction.resumed, "工单未处于暂停状态", f"order #{o.id} is not paused")
    if o.status == OrderStatus.suspended:
        _need(by, WorkOrdersPerm.dispatch)
    else:
        _own(by, o)
    pause = now - o.paused_at
    shift = {k: getattr(o, k) + pause for k in ("response_due_at", "resolution_due_at") if getattr(o, k) is not None}
    svc.move(
        s,
        o,
        action=OrderAction.resumed,
        to=OrderStatus(o.paused_from or "new"),
        by=by,
        note=b.note,
        now=now,
        values={
            "paused_at": None,
            "paused_from": None,
            "paused_seconds": o.paused_seconds + int(pause.total_seconds()),
            **shift,
        },
    )
    timers.shift(s, order_id=o.id, by=pause)


def _complete(
    svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
) -> None:
    _own(by, o)
    if o.quote_status == "proposed":
        raise conflict(o, OrderAction.completed, "业主尚未确认报价", "the owner has not accepted the quote yet")
    met = None if o.resolution_due_at is None else now <= o.resolution_due_at
    svc.move(
        s,
        o,
        action=OrderAction.completed,
        to=OrderStatus.completed,
        by=by,
        note=b.note,
        now=now,
        values={"completed_at": now, "resolution_met": met},
    )
    timers.cancel(s, order_id=o.id, deadline=None)
    if o.alarm_id is not None:
        events.publish(
            s,
            WorkOrderCompleted(order_id=o.id, compound_id=o.compound_id, alarm_id=o.alarm_id),
            compound_id=o.compound_id,
        )


def _follow_up(
    svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
) -> None:
    """R-W1: every completed repair gets a 回访 record before it can be closed."""
    _need(by, WorkOrdersPerm.dispatch)
    if not b.note or len(b.note) < 2:
        raise Invalid(
            "the follow-up (回访) needs a note of what the owner said",
            zh="回访须填写回访记录",
            fields=[{"field": "note", "message": "required / 必填"}],
        )
    svc.move(
        s,
        o,
        action=OrderAction.followed_up,
        to=OrderStatus.followed_up,
        by=by,
        note=b.note,
        now=now,
        values={"follow_up_note": b.note, "follow_up_at": now},
    )


def _close(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    _need(by, WorkOrdersPerm.dispatch)
    svc.move(
        s, o, action=OrderAction.closed, to=OrderStatus.closed, by=by, note=b.note, now=now, values={"closed_at": now}
    )


def _reopen(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    """The reporter or a dispatcher reopens: back to 待派单 with fresh deadlines."""
    if not (by.can(WorkOrdersPerm.dispatch) or (o.reporter_user_id is not None and o.reporter_user_id == by.user_id)):
        raise Forbidden("only the reporter or a dispatcher may reopen", zh="只有报事人或调度员可以重新打开工单")
    if not b.note:
        raise Invalid(
            "say why the order is reopened",
            zh="重新打开须填写原因",
            fields=[{"field": "note", "message": "required / 必填"}],
        )
    svc.move(
        s,
        o,
        action=OrderAction.reopened,
        to=OrderStatus.new,
        by=by,
        note=b.note,
        now=now,
        values={
            "assignee_user_id": None,
            "accepted_at": None,
            "arrived_at": None,
            "completed_at": None,
            "closed_at": None,
            "follow_up_note": None,
            "follow_up_at": None,
            "response_met": None,
            "resolution_met": None,
            "sla_state": SlaState.ok,
            "escalation_level": 0,
        },
    )
    from anju.registry.models import Compound

    timers.clear(s, order_id=o.id)
    compound = s.get(Compound, o.compound_id)
    timers.start_clock(s, order=o, grade=compound.service_grade if compound else 1, now=now)


def _rate(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    """Only the reporter rates, once, after completion."""
    if o.reporter_user_id is None or o.reporter_user_id != by.user_id:
        raise NotReporter(f"order #{o.id} was reported by someone else")
    if o.status not in DONE_STATUSES:
        raise conflict(o, OrderAction.rated, "工单完工后才能评价", "an order can be rated once it is completed")
    if b.rating is None:
        raise Invalid(
            "rating 1–5 is required", zh="请选择 1–5 星评分", fields=[{"field": "rating", "message": "required / 必填"}]
        )
    res = s.execute(
        update(WorkOrder)
        .where(WorkOrder.id == o.id, WorkOrder.rating.is_(None))
        .values(rating=b.rating, rating_comment=b.note, rated_at=now)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:  # type: ignore[attr-defined]
        raise conflict(o, OrderAction.rated, "该工单已评价", "this order was already rated")
    s.refresh(o)
    svc._log(s, o, OrderAction.rated, o.status, by, f"{b.rating}★ {b.note or ''}".strip(), now)


def _quote(svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime) -> None:
    """A paid household repair: the technician quotes, the owner accepts before work is completed."""
    _own(by, o)
    if o.kind != OrderKind.household_repair or o.status not in (OrderStatus.accepted, OrderStatus.arrived):
        raise conflict(
            o, OrderAction.quoted, "仅已接单的户内维修可以报价", "only accepted household repairs take a quote"
        )
    if b.amount is None or b.amount <= Decimal(0):
        raise Invalid(
            "amount is required", zh="请填写报价金额", fields=[{"field": "amount", "message": "required / 必填"}]
        )
    s.execute(
        update(WorkOrder)
        .where(WorkOrder.id == o.id)
        .values(quote_amount=b.amount, quote_status="proposed")
        .execution_options(synchronize_session=False)
    )
    s.refresh(o)
    svc._log(s, o, OrderAction.quoted, o.status, by, f"¥{b.amount} {b.note or ''}".strip(), now)


def _quote_answer(accept: bool) -> Any:
    def handler(
        svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
    ) -> None:
        if o.reporter_user_id is None or o.reporter_user_id != by.user_id:
            raise NotReporter("only the owner who reported may answer the quote", zh="只有报事业主可以确认报价")
        res = s.execute(
            update(WorkOrder)
            .where(WorkOrder.id == o.id, WorkOrder.quote_status == "proposed")
            .values(quote_status="accepted" if accept else "declined")
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise conflict(o, OrderAction.quote_accepted, "没有待确认的报价", "there is no quote to answer")
        s.refresh(o)
        svc._log(s, o, OrderAction.quote_accepted if accept else OrderAction.quote_declined, o.status, by, b.note, now)

    return handler


def _report_authority(
    svc: WorkOrderService, s: Session, by: Principal, o: WorkOrder, b: OrderActionBody, now: datetime
) -> None:
    """R-W4: a logged report to the authority (fire brigade, 城管, police) for a violation persuasion did not stop."""
    _need(by, WorkOrdersPerm.dispatch)
    if o.category not in AUTHORITY_CATEGORIES:
        raise conflict(
            o,
            OrderAction.reported_authority,
            "仅安全、环境、消防类违规可上报主管部门",
            "only safety, environmental and fire violations are reported to the authorities",
        )
    if not b.note or len(b.note) < 4:
        raise Invalid(
            "say which authority, when, and what was reported",
            zh="请填写上报的部门、时间和内容",
            fields=[{"field": "note", "message": "required / 必填"}],
        )
    svc._log(s, o, OrderAction.reported_authority, o.status, by, b.note, now)


_HANDLERS: dict[OrderAction, Any] = {
    OrderAction.reported_authority: _report_authority,
    OrderAction.dispatched: _dispatch,
    OrderAction.accepted: _accept,
    OrderAction.returned: _return,
    OrderAction.transferred: _transfer,
    OrderAction.arrived: _arrive,
    OrderAction.waiting_owner: _wait_owner,
    OrderAction.suspended: _suspend,
    OrderAction.resumed: _resume,
    OrderAction.completed: _complete,
    OrderAction.followed_up: _follow_up,
    OrderAction.closed: _close,
    OrderAction.reopened: _reopen,
    OrderAction.rated: _rate,
    OrderAction.quoted: _quote,
    OrderAction.quote_accepted: _quote_answer(True),
    OrderAction.quote_declined: _quote_answer(False),
}

work_order_service = WorkOrderService()


def overdue_order_count(session: Session, *, compound_id: int, now: datetime) -> int:
    """Open orders of a compound past their resolution deadline (paused orders excluded): a manager's to-do."""
    done = (OrderStatus.completed, OrderStatus.followed_up, OrderStatus.closed)
    stmt = select(func.count(WorkOrder.id)).where(
        WorkOrder.compound_id == compound_id,
        WorkOrder.status.not_in(done),
        WorkOrder.paused_at.is_(None),
        WorkOrder.resolution_due_at.is_not(None),
        WorkOrder.resolution_due_at < now,
    )
    return int(session.execute(stmt).scalar_one())


@dataclass(frozen=True)
class OrderFact:
    """One work order as maps and reports read it: kind, category, place, status and times (no people, no text)."""

    id: int
    compound_id: int
    kind: str
    category: str
    status: str
    building_id: int | None
    created_at: datetime
    completed_at: datetime | None
    closed_at: datetime | None
    resolution_due_at: datetime | None
    paused: bool
    rating: int | None
    open: bool


def order_facts(
    session: Session,
    *,
    compound_ids: list[int],
    since: datetime | None = None,
    until: datetime | None = None,
    open_only: bool = False,
    kinds: frozenset[str] | None = None,
) -> list[OrderFact]:
    """Work orders of some compounds created in [since, until) (or all open ones), as light read-only rows."""
    stmt = select(
        WorkOrder.id,
        WorkOrder.compound_id,
        WorkOrder.kind,
        WorkOrder.category,
        WorkOrder.status,
        WorkOrder.building_id,
        WorkOrder.created_at,
        WorkOrder.completed_at,
        WorkOrder.closed_at,
        WorkOrder.resolution_due_at,
        WorkOrder.paused_at,
        WorkOrder.rating,
    ).where(WorkOrder.compound_id.in_(compound_ids))
    if open_only:
        stmt = stmt.where(WorkOrder.status.in_(sorted(OPEN_STATUSES)))
    if since is not None:
        stmt = stmt.where(WorkOrder.created_at >= since)
    if until is not None:
        stmt = stmt.where(WorkOrder.created_at < until)
    if kinds is not None:
        stmt = stmt.where(WorkOrder.kind.in_(sorted(kinds)))
    return [
        OrderFact(i, c, str(k), cat, str(st), b, cr, comp, cl, due, paused is not None, r, st in OPEN_STATUSES)
        for i, c, k, cat, st, b, cr, comp, cl, due, paused, r in session.execute(stmt.order_by(WorkOrder.id))
    ]


@dataclass(frozen=True)
class OrderTally:
    """Work orders created in a period and how many of them are no longer open, all and complaints."""

    orders: int = 0
    closed: int = 0
    complaints: int = 0
    complaints_closed: int = 0


def order_tally(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime | None = None
) -> dict[int, OrderTally]:
    """Per compound, the orders created in [since, until) counted in SQL (the counts `order_facts` rows give)."""
    open_ = WorkOrder.status.in_(sorted(OPEN_STATUSES))
    complaint = WorkOrder.kind == OrderKind.complaint
    stmt = (
        select(
            WorkOrder.compound_id,
            func.count(),
            func.count().filter(~open_),
            func.count().filter(complaint),
            func.count().filter(complaint & ~open_),
        )
        .where(WorkOrder.compound_id.in_(compound_ids), WorkOrder.created_at >= since)
        .group_by(WorkOrder.compound_id)
    )
    if until is not None:
        stmt = stmt.where(WorkOrder.created_at < until)
    out = {c: OrderTally() for c in compound_ids}
    for c, n, closed, comp, comp_closed in session.execute(stmt):
        out[int(c)] = OrderTally(int(n), int(closed), int(comp), int(comp_closed))
    return out


def order_period(
    session: Session, *, compound_id: int, since: datetime, until: datetime
) -> list[tuple[str, str, bool, int | None, int]]:
    """The orders created in [since, until) counted in SQL: (kind, category, still open, rating, n) groups (what a
    report counts from `order_facts` rows; a compound-year can be 10^5 orders)."""
    open_ = WorkOrder.status.in_(sorted(OPEN_STATUSES))
    stmt = (
        select(WorkOrder.kind, WorkOrder.category, open_, WorkOrder.rating, func.count())
        .where(WorkOrder.compound_id == compound_id, WorkOrder.created_at >= since, WorkOrder.created_at < until)
        .group_by(WorkOrder.kind, WorkOrder.category, open_, WorkOrder.rating)
    )
    return [(str(k), str(c), bool(o), r, int(n)) for k, c, o, r, n in session.execute(stmt)]


def open_order_groups(
    session: Session, *, compound_ids: list[int], now: datetime
) -> list[tuple[int, int | None, bool, bool, int]]:
    """Open orders counted in SQL per (compound, building, is a complaint, past its resolution deadline and not
    paused): what the 大屏's tiles and map layer count from `order_facts(open_only=True)` rows."""
    complaint = WorkOrder.kind == OrderKind.complaint
    overdue = (
        WorkOrder.resolution_due_at.is_not(None) & WorkOrder.paused_at.is_(None) & (WorkOrder.resolution_due_at < now)
    )
    stmt = (
        select(WorkOrder.compound_id, WorkOrder.building_id, complaint, overdue, func.count())
        .where(WorkOrder.compound_id.in_(compound_ids), WorkOrder.status.in_(sorted(OPEN_STATUSES)))
        .group_by(WorkOrder.compound_id, WorkOrder.building_id, complaint, overdue)
    )
    return [(int(c), b, bool(k), bool(o), int(n)) for c, b, k, o, n in session.execute(stmt)]


def order_states(session: Session, *, compound_id: int, order_ids: list[int]) -> dict[int, bool]:
    """Order id → still open? (orders of the compound only; unknown ids are left out)."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.status).where(WorkOrder.compound_id == compound_id, WorkOrder.id.in_(order_ids))
    ).all()
    return {int(i): st in OPEN_STATUSES for i, st in rows}
