"""Alarm pages (the control room): a live alarm inbox with the site plan and the alarm panel.

Pages only: every state change goes through the alarm and device services, so the
page obeys the same state machine, scope and permission checks as the API. The
inbox is refreshed by control_room.js whenever the alarm stream (GET
/api/v1/alarms/stream) reports a change in the selected compound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.service import display_names
from anju.alarms.enums import OPEN_STATUSES, AlarmAction, AlarmOutcome, AlarmSeverity, AlarmStatus
from anju.alarms.models import Alarm
from anju.alarms.permissions import AlarmsPerm
from anju.alarms.procedures import procedure_for, set_procedure
from anju.alarms.repository import AlarmRepository, readable_alarms
from anju.alarms.service import alarm_service
from anju.alarms.service import dispatch_targets as alarm_dispatch_targets
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.core.rbac import Role
from anju.devices.enums import DeviceStatus
from anju.devices.models import Device, DeviceState
from anju.registry.models import Building, Compound, House, Unit
from anju.registry.permissions import RegistryPerm
from anju.registry.service import house_service
from anju.web import humanize
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import one_line, query_int
from anju.web.render import is_htmx, render
from anju.workorders.service import work_order_service

router = APIRouter(prefix="/console", include_in_schema=False)

AlarmPage = Annotated[ConsolePage, Depends(console_guard(AlarmsPerm.read))]
AlarmDesk = Annotated[ConsolePage, Depends(console_guard(AlarmsPerm.handle))]

SEVERITY_ORDER = (AlarmSeverity.critical, AlarmSeverity.major, AlarmSeverity.minor, AlarmSeverity.info)
STATE_FILTERS = ("open", "all", *(s.value for s in AlarmStatus))
INBOX_LIMIT = 100
# Path segment → the state machine's action.
ACTIONS: dict[str, AlarmAction] = {
    "acknowledge": AlarmAction.acknowledged,
    "dispatch": AlarmAction.dispatched,
    "resolve": AlarmAction.resolved,
    "false-alarm": AlarmAction.false_alarm,
    "review": AlarmAction.reviewed,
}
# Actions whose reason is required: a resolved, closed-as-false or reviewed alarm must say why (R-A4, R-A8).
REASON_REQUIRED = frozenset({AlarmAction.resolved, AlarmAction.false_alarm, AlarmAction.reviewed})
# Outcomes an operator picks when resolving (false_alarm has its own button).
RESOLVE_OUTCOMES = tuple(o for o in AlarmOutcome if o != AlarmOutcome.false_alarm)


class ReasonMissing(Invalid):
    code = "alarm_reason_required"
    message_zh = "请填写原因"
    message_en = "A reason is required"


class DispatchTargetMissing(Invalid):
    code = "alarm_dispatch_target_required"
    message_zh = "请选择派单对象"
    message_en = "Choose whom to dispatch"


# --- alarm queries ------------------------------------------------------------------------------


def _severity_rank() -> Any:
    return case({s.value: i for i, s in enumerate(SEVERITY_ORDER)}, value=Alarm.severity, else_=len(SEVERITY_ORDER))


def inbox(
    session: Session, who: Principal, *, compound_id: int, state: str, severity: AlarmSeverity | None
) -> list[Alarm]:
    """Open before closed, then the most severe, then the most recently seen (a repeat moves it up)."""
    stmt = readable_alarms(who).where(Alarm.compound_id == compound_id)
    if state == "open":
        stmt = stmt.where(Alarm.status.in_([s.value for s in OPEN_STATUSES]))
    elif state != "all":
        stmt = stmt.where(Alarm.status == state)
    if severity is not None:
        stmt = stmt.where(Alarm.severity == severity.value)
    stmt = stmt.order_by(Alarm.closed_at.is_not(None), _severity_rank(), Alarm.last_seen_at.desc(), Alarm.id.desc())
    return list(session.execute(stmt.limit(INBOX_LIMIT)).scalars())


def open_counts(session: Session, compound_id: int) -> dict[str, int]:
    """Open alarms per severity and per state, for the counters above the inbox."""
    rows = session.execute(
        select(Alarm.severity, Alarm.status, func.count())
        .where(Alarm.compound_id == compound_id, Alarm.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Alarm.severity, Alarm.status)
    ).all()
    out: dict[str, int] = {"total": 0}
    for sev, status, n in rows:
        out[str(sev)] = out.get(str(sev), 0) + int(n)
        out[str(status)] = out.get(str(status), 0) + int(n)
        out["total"] += int(n)
    return out


def dispatch_targets(session: Session, compound_id: int) -> list[tuple[int, str, str]]:
    """Whom an alarm may be sent to: the alarm service's rule, so the page offers only whom it accepts."""
    users = sorted(alarm_dispatch_targets(session, compound_id), key=lambda u: (str(u.role), u.id))
    return [(u.id, u.display_name, str(u.role.value if isinstance(u.role, Role) else u.role)) for u in users]


@dataclass
class Place:
    building: str | None
    unit: str | None  # the unit's number, "1"
    floor: int | None
    house: str | None
    point: str | None  # the device's own location text

    def parts(self, t: Any) -> list[str]:
        """The device's own place name says it best; without one, building / unit / floor."""
        if self.point:
            return [p for p in (self.point, self.house) if p]
        return [
            p
            for p in (
                self.building,
                t("compounds.unit", n=self.unit) if self.unit else None,
                f"{self.floor}F" if self.floor is not None else None,
                self.house,
            )
            if p
        ]


def place_of(session: Session, alarm: Alarm) -> tuple[Place, Device | None]:
    building = session.get(Building, alarm.building_id) if alarm.building_id else None
    unit = session.get(Unit, alarm.unit_id) if alarm.unit_id else None
    house = session.get(House, alarm.house_id) if alarm.house_id else None
    device = session.get(Device, alarm.device_id) if alarm.device_id else None
    if device is not None and device.compound_id != alarm.compound_id:
        device = None
    return Place(
        building.name if building else None,
        unit.number if unit else None,
        alarm.floor,
        house.label if house else None,
        device.location if device else None,
    ), device


def alarm_values(session: Session, who: Principal, alarm: Alarm, **extra: Any) -> dict[str, Any]:
    """What the alarm panel shows: the alarm, where it is, its history with names, and whom to send."""
    history = AlarmRepository(session).history(alarm.id)
    names = display_names(session, {t.actor_user_id for t in history} | {alarm.acknowledged_by, alarm.dispatched_to})
    place, device = place_of(session, alarm)
    can_act = who.can(AlarmsPerm.handle)
    device_ids = humanize.devices_of(history)
    if alarm.device_id is not None:
        device_ids.add(alarm.device_id)
    device_names = dict(
        session.execute(
            select(Device.id, Device.name).where(Device.id.in_(device_ids), Device.compound_id == alarm.compound_id)
        )
        .tuples()
        .all()
    )
    order = work_order_service.of_alarm(session, alarm_id=alarm.id, compound_id=alarm.compound_id)
    household = None
    if alarm.house_id is not None and can_act:
        household = house_service.household(
            session, house_service.get_readable(session, who=who, house_id=alarm.house_id)
        )
    order_done = any(h.reason_key == "alarms.hist.order_completed" for h in history)
    return {
        "alarm": alarm,
        "history": history,
        "names": names,
        "device_names": device_names,
        "place": place,
        "device": device,
        "can_act": can_act,
        "can_configure": who.can(AlarmsPerm.configure),
        "targets": dispatch_targets(session, alarm.compound_id) if can_act else [],
        "procedure": procedure_for(
            session, compound_id=alarm.compound_id, kind=alarm.kind, severity=str(alarm.severity)
        ),
        "outcomes": RESOLVE_OUTCOMES,
        "order": order,
        "order_done": order_done,
        "household": household,
        "can_unmask": who.can(RegistryPerm.people_unmask),
        **extra,
    }


def _panel(request: Request, ctx: ConsolePage, values: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, "alarms/_detail.html", ctx.context("nav.control_room", **values), status_code=status_code)


# --- site plan ----------------------------------------------------------------------------------


@dataclass
class Marker:
    x: int
    y: int
    state: str  # normal | alarm | offline | unknown
    label: str
    device_id: int | None = None
    alarm_id: int | None = None
    severity: str | None = None


def site_plan(session: Session, compound: Compound) -> dict[str, Any]:
    """The compound's plan with one marker per placed device and one per open alarm without a device."""
    plan = compound.site_plan or None
    open_alarms = list(
        session.execute(
            select(Alarm)
            .where(Alarm.compound_id == compound.id, Alarm.status.in_([s.value for s in OPEN_STATUSES]))
            .order_by(_severity_rank(), Alarm.id.desc())
        ).scalars()
    )
    by_device: dict[int, Alarm] = {}
    for a in open_alarms:
        if a.device_id is not None and a.kind != "device_offline":
            by_device.setdefault(a.device_id, a)
    rows = session.execute(
        select(Device.id, Device.name, Device.location, Device.plan_x, Device.plan_y, DeviceState.status)
        .outerjoin(DeviceState, DeviceState.device_id == Device.id)
        .where(
            Device.compound_id == compound.id,
            Device.active.is_(True),
            Device.plan_x.is_not(None),
            Device.plan_y.is_not(None),
        )
        .order_by(Device.id)
    ).all()
    devices: list[Marker] = []
    for did, name, location, x, y, status in rows:
        alarm = by_device.get(did)
        state = (
            "alarm"
            if alarm is not None
            else "offline"
            if status == DeviceStatus.offline
            else "normal"
            if status == DeviceStatus.online
            else "unknown"
        )
        devices.append(
            Marker(
                int(x or 0),  # plan_x and plan_y are not null here (filtered above)
                int(y or 0),
                state,
                f"{name} · {location or ''}",
                device_id=did,
                alarm_id=alarm.id if alarm else None,
                severity=str(alarm.severity) if alarm else None,
            )
        )
    devices.sort(key=lambda m: m.state == "alarm")  # alarms drawn last, on top
    numbers = dict(
        session.execute(select(Building.id, Building.number).where(Building.compound_id == compound.id)).tuples().all()
    )
    shapes = {str(s.get("building")): s for s in (plan or {}).get("buildings", [])}
    placed = {m.device_id for m in devices if m.state == "alarm"}
    alarms: list[Marker] = []
    for a in open_alarms:
        if a.device_id in placed or a.building_id is None:
            continue
        shape = shapes.get(str(numbers.get(a.building_id)))
        if shape:
            alarms.append(
                Marker(
                    int(shape["x"] + shape.get("w", 120) / 2),
                    int(shape["y"] + shape.get("h", 70) / 2),
                    "alarm",
                    a.title,
                    alarm_id=a.id,
                    severity=str(a.severity),
                )
            )
    counts = {k: sum(1 for m in devices if m.state == k) for k in ("normal", "alarm", "offline", "unknown")}
    return {
        "plan": plan,
        "shapes": list(shapes.values()),
        "markers": devices,
        "alarm_markers": alarms,
        "marker_counts": counts,
    }


# --- alarm pages --------------------------------------------------------------------------------


def _filters(state: str | None, severity: str | None) -> tuple[str, AlarmSeverity | None]:
    chosen = state if state in STATE_FILTERS else "open"
    try:
        return chosen, AlarmSeverity(severity) if severity else None
    except ValueError:
        return chosen, None


def _inbox_values(session: Session, ctx: ConsolePage, state: str, severity: AlarmSeverity | None) -> dict[str, Any]:
    assert ctx.compound is not None
    return {
        "alarms": inbox(session, ctx.who, compound_id=ctx.compound.id, state=state, severity=severity),
        "counts": open_counts(session, ctx.compound.id),
        "filters": {"state": state, "severity": severity.value if severity else ""},
        "states": STATE_FILTERS,
        "severities": SEVERITY_ORDER,
    }


@router.get("/alarms")
def alarms_page(
    request: Request,
    ctx: AlarmPage,
    session: ReadSession,
    state: str | None = None,
    severity: str | None = None,
    alarm: str | None = None,
) -> Response:
    """The control room: inbox, counters, site plan, and one alarm's panel."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.control_room"))
    chosen, sev = _filters(state, severity)
    values = _inbox_values(session, ctx, chosen, sev)
    if is_htmx(request):
        return render(request, "alarms/_inbox.html", ctx.context("nav.control_room", **values))
    selected = None
    alarm_id = query_int(alarm, minimum=1)
    if alarm_id is not None:
        selected = AlarmRepository(session).get_readable(ctx.who, alarm_id)
    values.update(site_plan(session, ctx.compound))
    if selected is not None:
        values.update(alarm_values(session, ctx.who, selected))
    return render(request, "alarms/control_room.html", ctx.context("nav.control_room", **values))


@router.get("/alarms/plan")
def alarms_plan(request: Request, ctx: AlarmPage, session: ReadSession) -> Response:
    """The site plan alone, for the live refresh."""
    if ctx.compound is None:
        return Response(status_code=204)
    return render(request, "alarms/_plan.html", ctx.context("nav.control_room", **site_plan(session, ctx.compound)))


@router.get("/alarms/handover")
def alarms_handover(request: Request, ctx: AlarmPage, session: ReadSession, hours: str | None = None) -> Response:
    """交接班摘要: the shift's alarms by severity and outcome, and everything still open, for the next shift."""
    from anju.alarms.service import handover_summary

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.control_room"))
    n = query_int(hours, minimum=1) or 12
    summary = handover_summary(session, by=ctx.who, compound_id=ctx.compound.id, hours=min(n, 72))
    return render(
        request,
        "alarms/handover.html",
        ctx.context("nav.control_room", s=summary, hours=min(n, 72), severities=SEVERITY_ORDER),
    )


@router.post("/alarms/{alarm_id}/notify-building")
def alarm_notify_building(
    alarm_id: int,
    request: Request,
    ctx: AlarmDesk,
    session: WriteSession,
    message: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """通知本楼: an emergency notice to the alarm's building (the notices domain posts it)."""
    try:
        alarm = alarm_service.notify_building(session, by=ctx.who, alarm_id=alarm_id, message=message)
    except AppError as e:
        session.rollback()
        current = alarm_service.get(session, by=ctx.who, alarm_id=alarm_id)
        return _panel(
            request, ctx, alarm_values(session, ctx.who, current, error=e.body()["error"]["message"]), e.status_code
        )
    if not is_htmx(request):
        return RedirectResponse(f"/console/alarms?alarm={alarm.id}", status_code=303)
    return _panel(request, ctx, alarm_values(session, ctx.who, alarm, notified=True))


@router.post("/alarms/procedure")
def alarm_procedure(
    request: Request,
    ctx: AlarmPage,
    session: WriteSession,
    alarm_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    zh: Annotated[str, Form(max_length=5000)] = "",
    en: Annotated[str, Form(max_length=5000)] = "",
    scope: Annotated[str, Form(max_length=16)] = "kind",
) -> Response:
    """A manager rewrites the procedure (处置流程) for this alarm's kind and severity, or its kind at any severity."""
    alarm = alarm_service.get(session, by=ctx.who, alarm_id=alarm_id)
    try:
        set_procedure(
            session,
            by=ctx.who,
            compound_id=alarm.compound_id,
            kind=alarm.kind,
            severity=str(alarm.severity) if scope == "severity" else "*",
            zh=zh,
            en=en,
        )
    except AppError as e:
        session.rollback()
        return _panel(
            request, ctx, alarm_values(session, ctx.who, alarm, error=e.body()["error"]["message"]), e.status_code
        )
    if not is_htmx(request):
        return RedirectResponse(f"/console/alarms?alarm={alarm.id}", status_code=303)
    return _panel(request, ctx, alarm_values(session, ctx.who, alarm, procedure_saved=True))


@router.get("/alarms/{alarm_id}/popup")
def alarm_popup(alarm_id: int, request: Request, ctx: AlarmPage, session: ReadSession) -> Response:
    """What the pop-up for a new critical alarm shows: title, place, the first steps of its procedure."""
    alarm = alarm_service.get(session, by=ctx.who, alarm_id=alarm_id)
    place, _ = place_of(session, alarm)
    steps = procedure_for(session, compound_id=alarm.compound_id, kind=alarm.kind, severity=str(alarm.severity))
    return render(
        request,
        "alarms/_popup.html",
        ctx.context("nav.control_room", alarm=alarm, place=place, procedure=steps),
    )


@router.get("/alarms/{alarm_id}")
def alarm_panel(alarm_id: int, request: Request, ctx: AlarmPage, session: ReadSession) -> Response:
    """One alarm's panel (htmx); another compound's alarm is 404."""
    if not is_htmx(request):
        return RedirectResponse(f"/console/alarms?alarm={alarm_id}", status_code=303)
    alarm = alarm_service.get(session, by=ctx.who, alarm_id=alarm_id)
    return _panel(request, ctx, alarm_values(session, ctx.who, alarm))


@router.post("/alarms/{alarm_id}/{action}")
def alarm_action(
    alarm_id: int,
    action: str,
    request: Request,
    ctx: AlarmDesk,
    session: WriteSession,
    reason: Annotated[str, Form(max_length=2000)] = "",
    user_id: Annotated[str, Form(max_length=12)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Move an alarm one step; the panel comes back with the new state, or the reason it could not move."""
    step = ACTIONS.get(action)
    if step is None:
        return render(
            request, "error.html", {"status": 404, "title": "404", "body": action, "detail": None}, status_code=404
        )
    note = one_line(reason)
    try:
        if step in REASON_REQUIRED and note is None:
            raise ReasonMissing(
                f"{action} needs a reason", fields=[{"field": "reason", "message": "required", "type": "missing"}]
            )
        target = query_int(user_id, minimum=1)
        if step == AlarmAction.dispatched and target is None:
            raise DispatchTargetMissing("dispatch needs user_id")
        chosen = AlarmOutcome(outcome) if outcome in {o.value for o in RESOLVE_OUTCOMES} else None
        alarm = alarm_service.transition(
            session, by=ctx.who, alarm_id=alarm_id, action=step, reason=note, dispatch_to=target, outcome=chosen
        )
    except AppError as e:
        session.rollback()
        current = AlarmRepository(session).get_readable(ctx.who, alarm_id)
        if current is None:
            return _panel(request, ctx, {"alarm": None, "error": e.body()["error"]["message"]}, 404)
        return _panel(
            request, ctx, alarm_values(session, ctx.who, current, error=e.body()["error"]["message"]), e.status_code
        )
    if not is_htmx(request):
        return RedirectResponse(f"/console/alarms?alarm={alarm.id}", status_code=303)
    response = _panel(request, ctx, alarm_values(session, ctx.who, alarm, done=step.value))
    response.headers["HX-Trigger"] = "alarms-changed"
    return response
