"""Facility rules: plans created with the equipment, due orders raised once, inspections that advance plans
and open work orders for failed items."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Forbidden, Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.core.rbac import Role
from anju.facilities import rules
from anju.facilities.exceptions import SignOffConflict
from anju.facilities.models import (
    Equipment,
    Inspection,
    InspectionSignature,
    MaintenancePlan,
)
from anju.facilities.repository import FacilityRepository
from anju.workorders.enums import OrderKind, OrderSource, Priority
from anju.workorders.schemas import OrderCreate
from anju.workorders.sla import CST

PLAN_ZH = {
    "lift_maintenance": "电梯维保",
    "lift_certificate": "电梯定期检验申报",
    "fire_check": "月度防火检查",
    "fire_full_inspection": "年度消防设施全面检测",
    "extinguisher_check": "灭火器检查",
    "extinguisher_service": "灭火器维修",
    "extinguisher_scrap": "灭火器报废",
}
# Plans that raise a work order when due (the rest are checklists walked by the inspector).
ORDER_PLANS = {
    "lift_maintenance": ("lift", Priority.normal),
    "lift_certificate": ("lift", Priority.urgent),
    "extinguisher_service": ("fire_safety", Priority.normal),
    "extinguisher_scrap": ("fire_safety", Priority.urgent),
    "fire_full_inspection": ("fire_safety", Priority.normal),
}


def plans_for(eq: Equipment, *, today: date) -> list[tuple[str, int | None, date]]:
    """(kind, interval days, first due date) the law asks for this equipment."""
    out: list[tuple[str, int | None, date]] = []
    if eq.kind == "lift":
        out.append(
            ("lift_maintenance", rules.LIFT_MAINTENANCE_DAYS, today + timedelta(days=rules.LIFT_MAINTENANCE_DAYS))
        )
        if eq.certificate_expires_on is not None:
            out.append(("lift_certificate", None, rules.lift_certificate_request_on(eq.certificate_expires_on)))
    elif eq.kind == "extinguisher" and eq.extinguisher_type and eq.manufactured_on:
        d = rules.extinguisher_dates(eq.extinguisher_type, eq.manufactured_on, crowded=eq.crowded_location, today=today)
        out += [
            ("extinguisher_check", d.check_every_days, today + timedelta(days=d.check_every_days)),
            ("extinguisher_service", None, d.next_service_on),
            ("extinguisher_scrap", None, d.scrap_on),
        ]
    elif eq.kind in ("fire_panel", "hydrant"):
        out.append(("fire_check", rules.FIRE_CHECK_DAYS, today + timedelta(days=rules.FIRE_CHECK_DAYS)))
    return out


def register(
    session: Session,
    *,
    by: Principal | None,
    compound_id: int,
    kind: str,
    name: str,
    building_id: int | None = None,
    location: str | None = None,
    extinguisher_type: str | None = None,
    manufactured_on: date | None = None,
    crowded: bool = False,
    certificate_expires_on: date | None = None,
    today: date | None = None,
) -> Equipment:
    """Add equipment and its statutory plans; a building's first fire equipment brings its yearly inspection (R-S5)."""
    if by is not None and not by.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    if building_id is not None:
        from anju.registry.models import Building

        # Another compound's building (or none at all) is not found here (issue 20 item 7).
        owner = session.execute(select(Building.compound_id).where(Building.id == building_id)).scalar_one_or_none()
        if owner != compound_id:
            raise NotFound(f"building {building_id} not found in compound {compound_id}", zh="楼栋不属于该小区")
    if kind == "extinguisher" and (extinguisher_type not in rules.EXTINGUISHER or manufactured_on is None):
        raise Invalid("an extinguisher needs its type and manufacture date", zh="灭火器须填写类型和生产日期")
    today = today or china_date()
    eq = Equipment(
        compound_id=compound_id,
        kind=kind,
        name=name,
        building_id=building_id,
        location=location,
        extinguisher_type=extinguisher_type,
        manufactured_on=manufactured_on,
        crowded_location=crowded,
        certificate_expires_on=certificate_expires_on,
        active=True,
    )
    session.add(eq)
    session.flush()
    for plan_kind, every, due in plans_for(eq, today=today):
        session.add(
            MaintenancePlan(
                compound_id=compound_id,
                equipment_id=eq.id,
                building_id=building_id,
                kind=plan_kind,
                interval_days=every,
                due_on=due,
            )
        )
    if building_id is not None and kind in ("extinguisher", "hydrant", "fire_panel"):
        exists = session.execute(
            select(MaintenancePlan.id).where(
                MaintenancePlan.building_id == building_id, MaintenancePlan.kind == "fire_full_inspection"
            )
        ).first()
        if exists is None:
            session.add(
                MaintenancePlan(
                    compound_id=compound_id,
                    building_id=building_id,
                    kind="fire_full_inspection",
                    interval_days=rules.FIRE_FULL_INSPECTION_DAYS,
                    due_on=today + timedelta(days=rules.FIRE_FULL_INSPECTION_DAYS),
                )
            )
    session.flush()
    return eq


def due_list(session: Session, *, compound_id: int, today: date, within_days: int = 30) -> list[dict[str, Any]]:
    """Plans due within N days or overdue (flagged), soonest first."""
    rows = FacilityRepository(session).due_plans(compound_id, until=today + timedelta(days=within_days))
    return [
        {
            "plan": p,
            "equipment": e,
            "overdue": p.due_on < today,
            "days": (p.due_on - today).days,
            "label": PLAN_ZH.get(p.kind, p.kind),
        }
        for p, e in rows
    ]


def raise_due_orders(session: Session, *, today: date, now: datetime | None = None) -> list[int]:
    """R-W2: each due lift maintenance (and other order plans) opens one work order, claimed by compare-and-set."""
    from anju.workorders.service import work_order_service

    now = now or utcnow()
    due = (
        session.execute(
            select(MaintenancePlan).where(
                MaintenancePlan.due_on <= today,
                MaintenancePlan.open_order_id.is_(None),
                MaintenancePlan.kind.in_(ORDER_PLANS),
            )
        )
        .scalars()
        .all()
    )
    opened: list[int] = []
    for plan in due:
        claimed = session.execute(
            update(MaintenancePlan)
            .where(MaintenancePlan.id == plan.id, MaintenancePlan.open_order_id.is_(None))
            .values(open_order_id=-1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker raised it
        eq = session.get(Equipment, plan.equipment_id) if plan.equipment_id else None
        category, priority = ORDER_PLANS[plan.kind]
        order = work_order_service.open(
            session,
            by=None,
            source=OrderSource.inspection,
            now=now,
            data=OrderCreate(
                compound_id=plan.compound_id,
                kind=OrderKind.inspection,
                category=category,
                priority=priority,
                title=f"{PLAN_ZH[plan.kind]}：{eq.name if eq else '楼栋'}"[:200],
                description=f"计划 #{plan.id} 到期 {plan.due_on.isoformat()}",
                building_id=plan.building_id,
                location=eq.location if eq else None,
            ),
        )
        session.execute(
            update(MaintenancePlan)
            .where(MaintenancePlan.id == plan.id)
            .values(open_order_id=order.id)
            .execution_options(synchronize_session=False)
        )
        opened.append(order.id)
    session.flush()
    return opened


def inspect(
    session: Session,
    *,
    by: Principal,
    plan_id: int,
    items: list[dict[str, Any]],
    supervisor_name: str | None,
    today: date | None = None,
) -> Inspection:
    """Record a checklist; the plan moves to its next due date, each failed item opens a work order."""
    from anju.workorders.service import work_order_service

    plan = session.get(MaintenancePlan, plan_id)
    if plan is None or not by.in_scope(plan.compound_id):
        raise NotFound(f"plan {plan_id}")
    if not items:
        raise Invalid("a checklist needs at least one item", zh="检查表至少需要一项")
    today = today or china_date()
    eq = session.get(Equipment, plan.equipment_id) if plan.equipment_id else None
    failed = [i for i in items if not i.get("ok")]
    order_ids = []
    for item in failed:
        order = work_order_service.open(
            session,
            by=None,
            source=OrderSource.inspection,
            data=OrderCreate(
                compound_id=plan.compound_id,
                kind=OrderKind.inspection,
                category="fire_safety" if plan.kind.startswith(("fire", "extinguisher")) else "repair",
                priority=Priority.urgent,
                title=f"检查不合格：{item.get('item', '')}"[:200] or "检查不合格",
                description=f"{PLAN_ZH.get(plan.kind, plan.kind)} · {eq.name if eq else ''} · {item.get('note') or ''}",
                building_id=plan.building_id,
                location=eq.location if eq else None,
            ),
        )
        order_ids.append(order.id)
    now = utcnow()
    row = Inspection(
        compound_id=plan.compound_id,
        plan_id=plan.id,
        equipment_id=plan.equipment_id,
        inspector_user_id=by.user_id,
        supervisor_name=supervisor_name,
        items=items,
        failed=len(failed),
        order_ids=order_ids,
        at=now,
    )
    session.add(row)
    session.flush()
    _sign(session, row, role="inspector", user_id=by.user_id, note=None, now=now)
    if plan.kind not in SUPERVISED_PLANS:
        _advance(plan, today)  # a fire check waits for the supervisor's sign-off (R-S4)
    session.flush()
    return row


# R-S4 (61号令 第25、26条): fire checks are signed by the inspector and by the supervisor (the person in charge
# of fire safety); until the supervisor signs, the check is not complete and the plan stays due.
SUPERVISED_PLANS = frozenset({"fire_check", "fire_full_inspection"})
SUPERVISOR_ROLES = frozenset({Role.property_manager, Role.platform_admin})


def _advance(plan: MaintenancePlan, today: date) -> None:
    plan.last_done_on = today
    if plan.interval_days:
        plan.due_on = today + timedelta(days=plan.interval_days)
        plan.open_order_id = None


def _sign(
    session: Session, row: Inspection, *, role: str, user_id: int, note: str | None, now: datetime
) -> InspectionSignature:
    from anju.accounts.models import User

    name = session.execute(select(User.display_name).where(User.id == user_id)).scalar_one()
    sig = InspectionSignature(
        inspection_id=row.id,
        compound_id=row.compound_id,
        role=role,
        user_id=user_id,
        name=name,
        note=note,
        signed_at=now,
    )
    session.add(sig)
    session.flush()
    return sig


def signatures(session: Session, inspection_ids: list[int]) -> dict[int, dict[str, InspectionSignature]]:
    """inspection id → role → signature."""
    out: dict[int, dict[str, InspectionSignature]] = {}
    for sig in FacilityRepository(session).signatures(inspection_ids):
        out.setdefault(sig.inspection_id, {})[sig.role] = sig
    return out


def is_complete(session: Session, row: Inspection) -> bool:
    """A supervised check is complete with both signatures; others with the inspector's."""
    plan_kind = FacilityRepository(session).plan_kind(row.plan_id)
    roles = signatures(session, [row.id]).get(row.id, {})
    return "inspector" in roles and (plan_kind not in SUPERVISED_PLANS or "supervisor" in roles)


def may_sign_off(by: Principal) -> bool:
    """Whether this user may countersign fire checks (R-S4): the manager in charge of fire safety."""
    return by.role in SUPERVISOR_ROLES


def awaiting_sign_off(session: Session, *, compound_id: int, limit: int = 50) -> list[tuple[Inspection, str]]:
    """R-S4: fire checks the inspector signed and the supervisor has not (not complete yet), with the plan kind."""
    return FacilityRepository(session).lacking_signature(
        compound_id, role="supervisor", plan_kinds=SUPERVISED_PLANS, limit=limit
    )


def readable_inspection(session: Session, *, by: Principal, inspection_id: int) -> Inspection:
    """One inspection in the caller's compounds; another compound's is a 404."""
    row = FacilityRepository(session).inspection(inspection_id)
    if row is None or not by.in_scope(row.compound_id):
        raise NotFound(f"inspection {inspection_id}")
    return row


def sign_off(
    session: Session,
    *,
    by: Principal,
    inspection_id: int,
    note: str | None = None,
    today: date | None = None,
    now: datetime | None = None,
) -> Inspection:
    """The supervisor countersigns; a supervised plan moves to its next due date only now.

    Not the inspector (a record signed twice by one person proves nothing), and once only: the unique
    (inspection, role) row makes a second or concurrent sign-off a 409.
    """
    row = session.get(Inspection, inspection_id)
    if row is None or not by.in_scope(row.compound_id):
        raise NotFound(f"inspection {inspection_id}")
    if not may_sign_off(by):
        raise Forbidden(
            "only the manager in charge of fire safety signs off inspections",
            zh="仅消防安全管理人（物业经理）可审核签字",
        )
    if row.inspector_user_id == by.user_id:
        raise SignOffConflict("the inspector cannot also sign as supervisor", zh="检查人不能同时作为审核人签字")
    now = now or utcnow()
    try:
        with session.begin_nested():
            _sign(session, row, role="supervisor", user_id=by.user_id, note=note, now=now)
    except IntegrityError:
        raise SignOffConflict(f"inspection {inspection_id} is already signed off", zh="该检查记录已签核") from None
    plan = session.get(MaintenancePlan, row.plan_id)
    if plan is not None and plan.kind in SUPERVISED_PLANS:
        _advance(plan, today or row.at.astimezone(CST).date())
    session.flush()
    return row


def maintenance_tally(session: Session, *, compound_id: int, since: datetime, until: datetime) -> dict[str, int]:
    """Planned maintenance of a period, for reports: inspections recorded in [since, until) ("done") and plans whose
    due date fell in the period and are still not done ("missed", as of now)."""
    done = len(
        session.execute(
            select(Inspection.id).where(
                Inspection.compound_id == compound_id, Inspection.at >= since, Inspection.at < until
            )
        ).all()
    )
    start_day, end_day = china_date(since), china_date(until - timedelta(microseconds=1))
    missed = len(
        session.execute(
            select(MaintenancePlan.id).where(
                MaintenancePlan.compound_id == compound_id,
                MaintenancePlan.due_on >= start_day,
                MaintenancePlan.due_on <= end_day,
                MaintenancePlan.due_on < china_date(),
            )
        ).all()
    )
    return {"done": done, "missed": missed}
