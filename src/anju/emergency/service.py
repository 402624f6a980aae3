"""Emergency rules: approved plans, drills (quarterly), supplies, and the three-level response.

Declaring an emergency under a plan creates one incident (UNIQUE(plan, alarm): a plan is activated
once per alarm), one task per checklist step of each role with its deadline, an emergency broadcast
to the affected building (or the compound) through the notices domain, and inbox items for the
staff of each tier. An exercise runs the same flow but no broadcast reaches residents: only staff
are told, and the incident is marked as an exercise.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.service import staff_of
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.kit.china_time import china_date
from anju.core.rbac import Role
from anju.emergency.enums import PLAN_FOR_ALARM, PlanKind, Tier
from anju.emergency.exceptions import (
    AlreadyActivated,
    BadGeometry,
    BadPlace,
    IncidentClosed,
    IncidentNotFound,
    NotEnoughStock,
    PlanNotFound,
    SupplyExists,
    SupplyNotFound,
    TaskDone,
    TaskNotFound,
)
from anju.emergency.models import (
    EmergencyDrill,
    EmergencyIncident,
    EmergencyPlan,
    EmergencyReminder,
    EmergencyTask,
    SupplyDraw,
    SupplyItem,
)
from anju.emergency.permissions import EmergencyPerm
from anju.emergency.repository import EmergencyRepository
from anju.emergency.schemas import (
    Activate,
    CloseIncident,
    DrillCreate,
    PlanCreate,
    SupplyCreate,
    SupplyUpdate,
)
from anju.notices.enums import NoticeKind, TargetKind
from anju.notices.schemas import NoticeCreate
from anju.notices.service import notice_service
from anju.notify.service import notify_service

log = logging.getLogger(__name__)
EXPIRY_WARNING_DAYS = 30
# Who carries each tier's tasks among the compound's accounts (resident volunteers opt in on the spot).
TIER_ROLES = {
    Tier.community: (Role.grid_worker,),
    Tier.property: (Role.property_manager, Role.property_staff, Role.technician, Role.guard),
    Tier.resident: (),
}


def parse_resource(raw: str) -> tuple[str, int]:
    """A plan's resource line: "灭火器×4", "灭火器*4", "灭火器 x 4" or just "灭火器" (one)."""
    m = re.fullmatch(r"\s*(.+?)\s*(?:[×xX*]\s*(\d{1,6}))?\s*", raw)
    if m is None:
        return "", 0
    return m.group(1), int(m.group(2) or 1)


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def supply_state(item: SupplyItem, today: date) -> str:
    if item.expires_on is not None and item.expires_on < today:
        return "expired"
    if item.expires_on is not None and item.expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring"
    if item.quantity < item.min_quantity:
        return "short"
    return "ok"


def _scope(by: Principal, compound_id: int, exc: type[PlanNotFound | SupplyNotFound] = PlanNotFound) -> None:
    if not by.in_scope(compound_id):
        raise exc(f"compound {compound_id}")


class EmergencyService:
    # --- plans and drills -------------------------------------------------------------------------
    def create_plan(self, session: Session, *, by: Principal, data: PlanCreate) -> EmergencyPlan:
        """An approved plan (the manager who files it approves it); a same-kind plan before it is superseded."""
        by.require(EmergencyPerm.manage)
        _scope(by, data.compound_id)
        now = utcnow()
        previous = [p for p in EmergencyRepository(session).plans([data.compound_id]) if p.kind == data.kind.value]
        for p in previous:
            p.active = False
        plan = EmergencyPlan(
            compound_id=data.compound_id,
            kind=data.kind.value,
            title=data.title,
            level=data.level,
            version=max((p.version for p in previous), default=0) + 1,
            roles=[r.model_dump(mode="json") for r in data.roles],
            resources=data.resources,
            call_sheet=[c.model_dump() for c in data.call_sheet],
            drill_every_days=data.drill_every_days,
            approved_at=now,
            approved_by=by.user_id,
            created_at=now,
        )
        session.add(plan)
        session.flush()
        return plan

    def plan(self, session: Session, *, by: Principal, plan_id: int) -> EmergencyPlan:
        by.require(EmergencyPerm.read)
        p = session.get(EmergencyPlan, plan_id)
        if p is None or not by.in_scope(p.compound_id):
            raise PlanNotFound(f"plan {plan_id}")
        return p

    def plans(self, session: Session, *, by: Principal, compound_id: int) -> list[EmergencyPlan]:
        by.require(EmergencyPerm.read)
        _scope(by, compound_id)
        return EmergencyRepository(session).plans([compound_id])

    def suggest(self, session: Session, *, by: Principal, compound_id: int, alarm_kind: str) -> EmergencyPlan | None:
        """The plan Anju proposes for a critical alarm of this kind (a human confirms the activation)."""
        kind = PLAN_FOR_ALARM.get(alarm_kind)
        if kind is None:
            return None
        return next((p for p in self.plans(session, by=by, compound_id=compound_id) if p.kind == kind.value), None)

    def propose(
        self,
        session: Session,
        *,
        compound_id: int,
        alarm_id: int,
        alarm_kind: str,
        title: str,
        building_id: int | None = None,
    ) -> EmergencyPlan | None:
        """Tell the compound's managers which plan fits a critical alarm, with a link to activate it (once per
        alarm); nothing is activated without a human."""
        kind = PLAN_FOR_ALARM.get(alarm_kind)
        if kind is None:
            return None
        plan = next((p for p in EmergencyRepository(session).plans([compound_id]) if p.kind == kind.value), None)
        if plan is None or not self._once(session, compound_id, f"propose:{alarm_id}:{plan.id}", "proposal"):
            return None
        link = f"/console/emergency?alarm_id={alarm_id}&plan_id={plan.id}"
        users = [u.id for u in staff_of(session, compound_id, [Role.property_manager])]
        notify_service.inbox(
            session,
            user_ids=users,
            compound_id=compound_id,
            category="emergency_proposal",
            title=f"【建议启动预案】{plan.title}",
            body=f"{title}。请确认后启动《{plan.title}》（{plan.level} 级响应）：{link}",
            alarm_id=alarm_id,
        )
        return plan

    def record_drill(self, session: Session, *, by: Principal, plan_id: int, data: DrillCreate) -> EmergencyDrill:
        by.require(EmergencyPerm.act)
        p = self.plan(session, by=by, plan_id=plan_id)
        d = EmergencyDrill(
            compound_id=p.compound_id,
            plan_id=p.id,
            held_at=data.held_at,
            participants=data.participants,
            evacuation_seconds=data.evacuation_seconds,
            findings=data.findings,
            building_id=self._building(session, p.compound_id, data.building_id)[0],
            recorded_by=by.user_id,
        )
        session.add(d)
        session.flush()
        return d

    def drill_status(
        self, session: Session, *, by: Principal, compound_id: int, now: datetime | None = None
    ) -> list[tuple[EmergencyPlan, datetime | None, bool]]:
        """(plan, last drill, overdue) for each active plan: overdue when no drill this quarter nor in its interval."""
        now = now or utcnow()
        plans = self.plans(session, by=by, compound_id=compound_id)
        last = EmergencyRepository(session).last_drills([p.id for p in plans])
        return [(p, last.get(p.id), _drill_overdue(p, last.get(p.id), now)) for p in plans]

    # --- the response -----------------------------------------------------------------------------
    def activate(
        self, session: Session, *, by: Principal, plan_id: int, data: Activate, now: datetime | None = None
    ) -> EmergencyIncident:
        """Declare an emergency (or run an exercise) under a plan: incident, role tasks, broadcast, inboxes."""
        by.require(EmergencyPerm.manage)
        now = now or utcnow()
        plan = self.plan(session, by=by, plan_id=plan_id)
        title = plan.title
        if data.alarm_id is not None:
            from anju.alarms.service import alarm_service

            alarm = alarm_service.get(session, by=by, alarm_id=data.alarm_id)
            if alarm.compound_id != plan.compound_id:
                raise PlanNotFound(f"plan {plan_id}")
            title = f"{plan.title}：{alarm.title}"
        _, building_name = self._building(session, plan.compound_id, data.building_id)
        incident = EmergencyIncident(
            compound_id=plan.compound_id,
            plan_id=plan.id,
            alarm_id=data.alarm_id,
            building_id=data.building_id,
            level=data.level or plan.level,
            exercise=data.exercise,
            title=(("【演练】" if data.exercise else "") + title)[:200],
            declared_at=now,
            declared_by=by.user_id,
        )
        try:
            with session.begin_nested():  # a second activation for the same alarm loses here
                session.add(incident)
                session.flush()
        except IntegrityError:
            raise AlreadyActivated(f"plan {plan_id} is already active for alarm {data.alarm_id}") from None
        for role in plan.roles:
            due = now + timedelta(minutes=int(role.get("due_minutes", 15)))
            for i, step in enumerate(role.get("tasks", []), start=1):
                session.add(
                    EmergencyTask(
                        compound_id=plan.compound_id,
                        incident_id=incident.id,
                        tier=str(role.get("tier", Tier.property.value)),
                        role=str(role["role"])[:64],
                        position=i,
                        title=str(step)[:200],
                        due_at=due,
                    )
                )
        session.flush()
        place = building_name or "全小区"
        body = (
            data.message
            or f"{place}发生紧急情况（{plan.title}，{incident.level}级响应），请听从工作人员指挥，有序撤离。"
        )
        if not data.exercise:
            notice = notice_service.publish(
                session,
                by=by,
                data=NoticeCreate(
                    compound_id=plan.compound_id,
                    kind=NoticeKind.emergency,
                    title=f"【紧急】{plan.title}"[:128],
                    body=body,
                    target_kind=TargetKind.building if data.building_id else TargetKind.compound,
                    target_id=data.building_id,
                ),
            )
            incident.notice_id = notice.id
        for tier, roles in TIER_ROLES.items():
            if not roles:
                continue
            users = [u.id for u in staff_of(session, plan.compound_id, roles)]
            steps = [t for t in EmergencyRepository(session).tasks(incident.id) if t.tier == tier.value]
            if users and steps:
                notify_service.inbox(
                    session,
                    user_ids=users,
                    compound_id=plan.compound_id,
                    category="emergency_task",
                    title=f"【应急{'演练' if data.exercise else '响应'}】{plan.title}"[:255],
                    body="；".join(f"{t.role}：{t.title}" for t in steps),
                )
        if not data.exercise:
            self._draw_down(session, plan, incident)
        if data.building_id is not None:
            self._estimate(session, by, incident)
        session.flush()
        return incident

    def _building(self, session: Session, compound_id: int, building_id: int | None) -> tuple[int | None, str | None]:
        if building_id is None:
            return None, None
        from anju.registry.models import Building

        b = session.get(Building, building_id)
        if b is None or b.compound_id != compound_id:
            raise BadPlace(fields=[{"field": "building_id", "message": "not in this compound"}])
        return b.id, b.name

    def _draw_down(self, session: Session, plan: EmergencyPlan, incident: EmergencyIncident) -> None:
        """Take out what the plan lists ("灭火器×4"; one when no count), from the stores in order; a store never
        goes below zero: what is missing is recorded (asked > drawn) and the managers are told."""
        repo = EmergencyRepository(session)
        items = repo.supplies([plan.compound_id])
        short = []
        for raw in plan.resources:
            name, asked = parse_resource(raw)
            if not name or asked <= 0:
                continue
            drawn, first = 0, None
            for s in (i for i in items if i.name == name):
                take = min(asked - drawn, s.quantity)
                if take > 0 and repo.draw(s.id, take):
                    drawn += take
                    first = first or s.id
                if drawn >= asked:
                    break
            try:
                with session.begin_nested():
                    session.add(
                        SupplyDraw(
                            compound_id=plan.compound_id,
                            incident_id=incident.id,
                            supply_id=first,
                            resource=name[:64],
                            asked=asked,
                            drawn=drawn,
                        )
                    )
                    session.flush()
            except IntegrityError:
                continue  # the plan lists the same resource twice: the first line counts
            if drawn < asked:
                short.append(f"{name} 缺 {asked - drawn}")
        for s in items:
            session.refresh(s)
        if short:
            self._tell_managers(
                session,
                plan.compound_id,
                title=f"【应急物资不足】{plan.title}",
                body="启动预案时库存不足：" + "；".join(short) + "。请尽快调拨补充。",
            )

    def draws(self, session: Session, *, incident: EmergencyIncident) -> list[SupplyDraw]:
        from sqlalchemy import select

        stmt = select(SupplyDraw).where(SupplyDraw.incident_id == incident.id).order_by(SupplyDraw.id)
        return list(session.execute(stmt).scalars())

    def _estimate(self, session: Session, by: Principal, incident: EmergencyIncident) -> None:
        """The evacuation estimate of the incident's building; a building whose floor plan cannot be simulated
        does not stop the activation (the page says there is no estimate)."""
        from anju.emergency.evacuation_service import evacuation_service

        assert incident.building_id is not None
        try:
            with session.begin_nested():
                evacuation_service.simulate(session, by=by, building_id=incident.building_id, incident_id=incident.id)
        except (BadGeometry, ImportError) as exc:
            log.warning("no evacuation estimate for incident %s: %s", incident.id, exc)

    def incident(self, session: Session, *, by: Principal, incident_id: int) -> EmergencyIncident:
        by.require(EmergencyPerm.read)
        i = session.get(EmergencyIncident, incident_id)
        if i is None or not by.in_scope(i.compound_id):
            raise IncidentNotFound(f"incident {incident_id}")
        return i

    def incidents(self, session: Session, *, by: Principal, compound_id: int) -> list[EmergencyIncident]:
        by.require(EmergencyPerm.read)
        _scope(by, compound_id)
        return EmergencyRepository(session).incidents([compound_id])

    def tasks(self, session: Session, *, incident: EmergencyIncident) -> list[EmergencyTask]:
        return EmergencyRepository(session).tasks(incident.id)

    def finish_task(
        self, session: Session, *, by: Principal, task_id: int, now: datetime | None = None
    ) -> EmergencyTask:
        by.require(EmergencyPerm.act)
        now = now or utcnow()
        t = session.get(EmergencyTask, task_id)
        if t is None or not by.in_scope(t.compound_id):
            raise TaskNotFound(f"task {task_id}")
        inc = self.incident(session, by=by, incident_id=t.incident_id)
        if inc.status != "open":
            raise IncidentClosed(f"incident {inc.id} is closed")
        if not EmergencyRepository(session).finish_task(t.id, user_id=by.user_id, now=now):
            raise TaskDone(f"task {task_id} is already done")
        session.refresh(t)
        return t

    def close(self, session: Session, *, by: Principal, incident_id: int, data: CloseIncident) -> EmergencyIncident:
        """Close the incident with its after-action review."""
        by.require(EmergencyPerm.manage)
        inc = self.incident(session, by=by, incident_id=incident_id)
        if inc.status != "open":
            raise IncidentClosed(f"incident {incident_id} is closed")
        inc.status, inc.closed_at, inc.review = "closed", utcnow(), data.review
        session.flush()
        return inc

    # --- supplies ---------------------------------------------------------------------------------
    def add_supply(self, session: Session, *, by: Principal, data: SupplyCreate) -> SupplyItem:
        by.require(EmergencyPerm.manage)
        _scope(by, data.compound_id, SupplyNotFound)
        item = SupplyItem(**data.model_dump(), checked_on=china_date())
        try:
            with session.begin_nested():
                session.add(item)
                session.flush()
        except IntegrityError:
            raise SupplyExists(f"{data.store}/{data.name}") from None
        return item

    def supply(self, session: Session, *, by: Principal, supply_id: int) -> SupplyItem:
        by.require(EmergencyPerm.read)
        s = session.get(SupplyItem, supply_id)
        if s is None or not by.in_scope(s.compound_id):
            raise SupplyNotFound(f"supply {supply_id}")
        return s

    def supplies(self, session: Session, *, by: Principal, compound_id: int) -> list[SupplyItem]:
        by.require(EmergencyPerm.read)
        _scope(by, compound_id, SupplyNotFound)
        return EmergencyRepository(session).supplies([compound_id])

    def inspect_supply(self, session: Session, *, by: Principal, supply_id: int, data: SupplyUpdate) -> SupplyItem:
        """An inspection (counted quantity) or a renewal (new expiry); the check date becomes today."""
        by.require(EmergencyPerm.act)
        s = self.supply(session, by=by, supply_id=supply_id)
        patch = data.model_dump(exclude_unset=True)
        for k in ("quantity", "min_quantity", "expires_on"):
            if k in patch and (patch[k] is not None or k == "expires_on"):
                setattr(s, k, patch[k])
        s.checked_on = china_date()
        session.flush()
        return s

    def draw(self, session: Session, *, by: Principal, supply_id: int, quantity: int) -> SupplyItem:
        """Take supplies out for an incident or a drill; never below zero (409)."""
        by.require(EmergencyPerm.act)
        s = self.supply(session, by=by, supply_id=supply_id)
        if not EmergencyRepository(session).draw(s.id, quantity):
            raise NotEnoughStock(f"{s.name}: {s.quantity} left, {quantity} asked")
        session.refresh(s)
        return s

    # --- reminders (jobs) -------------------------------------------------------------------------
    def remind(self, session: Session, *, now: datetime | None = None) -> int:
        """Once per plan and quarter when the quarter has no drill yet (in its last month, or already past its
        interval); once per supply item and state when it expires soon, has expired or runs short."""
        now = now or utcnow()
        today = china_date(now)
        repo = EmergencyRepository(session)
        plans = repo.all_active_plans()
        last = repo.last_drills([p.id for p in plans])
        sent = 0
        for p in plans:
            drilled = last.get(p.id)
            this_quarter = drilled is not None and china_date(drilled) >= quarter_start(today)
            in_last_month = today.month % 3 == 0
            if this_quarter or not (in_last_month or _drill_overdue(p, drilled, now)):
                continue
            if self._once(session, p.compound_id, f"drill:{p.id}:{quarter_of(today)}", "drill"):
                sent += self._tell_managers(
                    session,
                    p.compound_id,
                    title=f"【演练提醒】{p.title} 本季度（{quarter_of(today)}）尚未演练",
                    body="请安排本季度应急演练并记录演练情况。",
                )
        for compound_id in {p.compound_id for p in plans} | self._supply_compounds(session):
            for s in repo.supplies([compound_id]):
                state = supply_state(s, today)
                if state == "ok":
                    continue
                key = f"supply:{s.id}:{state}:{s.expires_on or ''}:{s.quantity if state == 'short' else ''}"
                if self._once(session, compound_id, key[:96], "supply"):
                    label = {"expired": "已过期", "expiring": "即将过期", "short": "库存不足"}[state]
                    sent += self._tell_managers(
                        session,
                        compound_id,
                        title=f"【应急物资】{s.store} {s.name} {label}",
                        body=f"数量 {s.quantity}{s.unit_label}，最低 {s.min_quantity}{s.unit_label}；"
                        f"有效期至 {s.expires_on or '—'}。请检查并更新。",
                    )
        session.flush()
        return sent

    def _supply_compounds(self, session: Session) -> set[int]:
        from sqlalchemy import select

        return set(session.execute(select(SupplyItem.compound_id).distinct()).scalars())

    def _once(self, session: Session, compound_id: int, key: str, kind: str) -> bool:
        try:
            with session.begin_nested():
                session.add(EmergencyReminder(compound_id=compound_id, key=key, kind=kind))
                session.flush()
        except IntegrityError:
            return False
        return True

    def _tell_managers(self, session: Session, compound_id: int, *, title: str, body: str) -> int:
        users = [u.id for u in staff_of(session, compound_id, [Role.property_manager])]
        notify_service.inbox(
            session, user_ids=users, compound_id=compound_id, category="emergency_reminder", title=title, body=body
        )
        return 1


def _drill_overdue(plan: EmergencyPlan, last: datetime | None, now: datetime) -> bool:
    start = last or plan.approved_at or plan.created_at
    return now - start > timedelta(days=plan.drill_every_days)


emergency_service = EmergencyService()
__all__ = ["PlanKind", "emergency_service"]
