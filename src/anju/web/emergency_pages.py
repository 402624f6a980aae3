"""Emergency pages: plans with roles and call sheet, drill status, supplies, incidents with role tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import CHINA_TZ, china_date
from anju.emergency.permissions import EmergencyPerm
from anju.emergency.schemas import Activate, CloseIncident, DrillCreate, SupplyUpdate
from anju.emergency.service import emergency_service, supply_state
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import error_message, form_action, go_back, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
EmergencyPage = Annotated[ConsolePage, Depends(console_guard(EmergencyPerm.read))]
BACK = "/console/emergency"


@router.get("/console/emergency")
def emergency_home(request: Request, ctx: EmergencyPage, session: ReadSession) -> Response:
    """应急管理: plans and their drills, incidents, supply stores."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.emergency"))
    cid = ctx.compound.id
    from sqlalchemy import select

    from anju.registry.models import Building

    buildings = list(
        session.execute(select(Building).where(Building.compound_id == cid).order_by(Building.id)).scalars()
    )
    proposal = None
    alarm_q, plan_q = request.query_params.get("alarm_id", ""), request.query_params.get("plan_id", "")
    if alarm_q.isdigit() and plan_q.isdigit() and ctx.who.can(EmergencyPerm.manage):
        from anju.alarms.service import alarm_service

        try:
            alarm = alarm_service.get(session, by=ctx.who, alarm_id=int(alarm_q))
            plan = emergency_service.plan(session, by=ctx.who, plan_id=int(plan_q))
            if alarm.compound_id == cid == plan.compound_id:
                proposal = {"alarm": alarm, "plan": plan}
        except AppError:
            proposal = None
    from anju.emergency.evacuation_service import evacuation_service

    today = china_date()
    supplies = [(s, supply_state(s, today)) for s in emergency_service.supplies(session, by=ctx.who, compound_id=cid)]
    return render(
        request,
        "emergency/home.html",
        ctx.context(
            "nav.emergency",
            drills=emergency_service.drill_status(session, by=ctx.who, compound_id=cid),
            drill_records=evacuation_service.drill_comparison(session, by=ctx.who, compound_id=cid),
            incidents=emergency_service.incidents(session, by=ctx.who, compound_id=cid),
            supplies=supplies,
            buildings=buildings,
            proposal=proposal,
            can_manage=ctx.who.can(EmergencyPerm.manage),
            can_act=ctx.who.can(EmergencyPerm.act),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.get("/console/emergency/incidents/{incident_id}")
def incident_page(incident_id: int, request: Request, ctx: EmergencyPage, session: ReadSession) -> Response:
    """One incident: its role tasks by tier with deadlines, who ticked them, and the review."""
    from anju.emergency.evacuation_service import evacuation_service

    inc = emergency_service.incident(session, by=ctx.who, incident_id=incident_id)
    plan = emergency_service.plan(session, by=ctx.who, plan_id=inc.plan_id)
    return render(
        request,
        "emergency/incident.html",
        ctx.context(
            "nav.emergency",
            inc=inc,
            plan=plan,
            tasks=emergency_service.tasks(session, incident=inc),
            draws=emergency_service.draws(session, incident=inc),
            estimate=evacuation_service.for_incident(session, incident_id=inc.id),
            can_manage=ctx.who.can(EmergencyPerm.manage),
            can_act=ctx.who.can(EmergencyPerm.act),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/emergency/plans/{plan_id}/activate")
def activate_form(
    plan_id: int,
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    building_id: Annotated[str, Form()] = "",
    exercise: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
    alarm_id: Annotated[str, Form()] = "",
) -> Response:
    t = Translator(lang_of(request))
    try:
        data = Activate(
            alarm_id=int(alarm_id) if alarm_id.strip() else None,
            building_id=int(building_id) if building_id.strip() else None,
            exercise=bool(exercise),
            message=message.strip() or None,
        )
        inc = emergency_service.activate(session, by=ctx.who, plan_id=plan_id, data=data)
    except (ValidationError, ValueError):
        return go_back(request, BACK, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, BACK, exc)
    return go_back(request, f"/console/emergency/incidents/{inc.id}", ok=t("em.saved"))


@router.post("/console/emergency/plans/{plan_id}/drills")
def drill_form(
    plan_id: int,
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    held_at: Annotated[str, Form()] = "",
    participants: Annotated[str, Form()] = "0",
    evacuation_seconds: Annotated[str, Form()] = "",
    findings: Annotated[str, Form()] = "",
    building_id: Annotated[str, Form()] = "",
) -> Response:
    """Record a drill; the time is China time from the form's date-time field."""
    t = Translator(lang_of(request))
    try:
        at = datetime.fromisoformat(held_at).replace(tzinfo=CHINA_TZ)
        data = DrillCreate(
            held_at=at,
            participants=int(participants or "0"),
            evacuation_seconds=int(evacuation_seconds) if evacuation_seconds.strip() else None,
            findings=findings.strip() or None,
            building_id=int(building_id) if building_id.strip() else None,
        )
        emergency_service.record_drill(session, by=ctx.who, plan_id=plan_id, data=data)
    except (ValidationError, ValueError):
        return go_back(request, BACK, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, BACK, exc)
    return go_back(request, BACK, ok=t("em.saved"))


@router.post("/console/emergency/tasks/{task_id}/done")
def task_done(task_id: int, request: Request, ctx: EmergencyPage, session: WriteSession) -> Response:
    t = Translator(lang_of(request))
    try:
        task = emergency_service.finish_task(session, by=ctx.who, task_id=task_id)
    except AppError as exc:
        return refused(request, session, BACK, exc)
    return go_back(request, f"/console/emergency/incidents/{task.incident_id}", ok=t("em.saved"))


@router.post("/console/emergency/incidents/{incident_id}/close")
def close_form(
    incident_id: int, request: Request, ctx: EmergencyPage, session: WriteSession, review: Annotated[str, Form()] = ""
) -> Response:
    t = Translator(lang_of(request))
    back = f"/console/emergency/incidents/{incident_id}"
    try:
        emergency_service.close(session, by=ctx.who, incident_id=incident_id, data=CloseIncident(review=review.strip()))
    except ValidationError:
        return go_back(request, back, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("em.saved"))


@router.post("/console/emergency/supplies/{supply_id}/inspect")
def inspect_form(
    supply_id: int, request: Request, ctx: EmergencyPage, session: WriteSession, quantity: Annotated[str, Form()] = ""
) -> Response:
    """盘点: the counted quantity; the check date becomes today."""
    t = Translator(lang_of(request))
    try:
        data = SupplyUpdate(quantity=int(quantity))
        emergency_service.inspect_supply(session, by=ctx.who, supply_id=supply_id, data=data)
    except (ValidationError, ValueError):
        return go_back(request, BACK, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, BACK, exc)
    return go_back(request, BACK, ok=t("em.saved"))


def _svg(result: dict[str, Any], blocked: list[str]) -> dict[str, Any]:
    """The floor drawn for the page: outline, density cells coloured by peak persons per m², exits."""
    xs = [p[0] for p in result["outline"]]
    ys = [p[1] for p in result["outline"]]
    x0, y0 = min(xs) - 1, min(ys) - 1
    cell = result.get("cell", 1.0)
    cells = []
    for cx, cy, d in result.get("heat", []):
        level = 3 if d >= 3 else 2 if d >= result.get("hot_density", 2.0) else 1
        cells.append({"x": cx * cell, "y": cy * cell, "d": d, "level": level})
    exits = [
        {"key": k, "points": " ".join(f"{x},{y}" for x, y in pts), "blocked": k in blocked}
        for k, pts in result.get("exit_areas", {}).items()
    ]
    return {
        "view": f"{x0} {y0} {max(xs) - x0 + 1} {max(ys) - y0 + 1}",
        "outline": " ".join(f"{x},{y}" for x, y in result["outline"]),
        "cells": cells,
        "cell": cell,
        "exits": exits,
    }


@router.get("/console/emergency/evacuation")
def evacuation_page(request: Request, ctx: EmergencyPage, session: ReadSession) -> Response:
    """疏散模拟: a building's typical floor, a what-if with blocked exits, the result on the floor plan."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.emergency"))
    from anju.emergency.evacuation_service import evacuation_service
    from anju.registry.service import house_service

    buildings = house_service.buildings(session, compound_id=ctx.compound.id)
    q = request.query_params.get("building_id", "")
    building = next((b for b in buildings if str(b.id) == q), buildings[0] if buildings else None)
    run = None
    rq = request.query_params.get("run_id", "")
    if rq.isdigit():
        run = evacuation_service.run(session, by=ctx.who, run_id=int(rq))
    fp, exits, runs = None, [], []
    if building is not None:
        fp = evacuation_service.floor_plan(session, building=building)
        try:
            exits = evacuation_service.exits(session, building=building)
        except AppError:
            exits = []
        runs = evacuation_service.runs(session, by=ctx.who, building_id=building.id)
        if run is None or run.building_id != building.id:
            run = runs[0] if runs else None
    names = {e.key: e.name for e in exits}
    return render(
        request,
        "emergency/evacuation.html",
        ctx.context(
            "nav.emergency",
            **_site(request, session, ctx),
            **_live(session, ctx, building, exits),
            buildings=buildings,
            building=building,
            fp=fp,
            exits=exits,
            run=run,
            runs=runs,
            exit_names=names,
            svg=_svg(run.result, run.blocked) if run is not None else None,
            drawing=evacuation_service.geometry(fp) if fp is not None else None,
            can_manage=ctx.who.can(EmergencyPerm.manage),
            can_act=ctx.who.can(EmergencyPerm.act),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


def _live(session: Any, ctx: ConsolePage, building: Any, exits: list[Any]) -> dict[str, Any]:
    """Exits blocked now by open obstruction alarms, the bindings, and what can be bound (for managers)."""
    from anju.emergency.obstruction_service import obstruction_service, source_choices

    assert ctx.compound is not None
    cid = ctx.compound.id
    live = obstruction_service.read_live(session, by=ctx.who, blocks=obstruction_service.live(session, compound_id=cid))
    rows = obstruction_service.sources(session, by=ctx.who, compound_id=cid)
    names = obstruction_service.names(session, by=ctx.who, rows=rows)
    targets: list[tuple[str, str]] = []
    if building is not None:
        targets += [(f"exit:{building.id}:{e.key}", f"{building.name} · {e.name}") for e in exits]
    from anju.emergency.evacuation_service import evacuation_service

    targets += [
        (f"point:{p.id}", p.name) for p in evacuation_service.assembly_points(session, by=ctx.who, compound_id=cid)
    ]
    mine = {lb.target_key for lb in live if building is not None and lb.target_key.startswith(f"exit:{building.id}:")}
    return {
        "live_blocks": live,
        "live_exit_keys": {k.rsplit(":", 1)[1] for k in mine},
        "bindings": [(r, names[r.id]) for r in rows],
        "bind_targets": targets,
        "bind_sources": source_choices(session, by=ctx.who, compound_id=cid)
        if ctx.who.can(EmergencyPerm.manage)
        else [],
    }


@router.post("/console/emergency/evacuation/exit-sources")
def bind_form(
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    target: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    back_building: Annotated[str, Form()] = "",
) -> Response:
    """Bind a source that can report an exit obstructed (a camera zone, a door sensor) to an exit or point."""
    from anju.emergency.obstruction_service import obstruction_service, parse_choice

    back = "/console/emergency/evacuation" + (f"?building_id={back_building}" if back_building.isdigit() else "")
    if ctx.compound is None:
        return go_back(request, back)
    cid = ctx.compound.id
    return form_action(
        request,
        session,
        back,
        lambda: obstruction_service.bind(session, by=ctx.who, data=parse_choice(cid, target, source)),
        ok="em.saved",
        invalid="wo.err.invalid",
    )


@router.post("/console/emergency/evacuation/exit-sources/{source_id}/remove")
def unbind_form(
    source_id: int,
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    back_building: Annotated[str, Form()] = "",
) -> Response:
    from anju.emergency.obstruction_service import obstruction_service

    back = "/console/emergency/evacuation" + (f"?building_id={back_building}" if back_building.isdigit() else "")
    return form_action(
        request,
        session,
        back,
        lambda: obstruction_service.unbind(session, by=ctx.who, source_id=source_id),
        ok="em.saved",
        invalid="wo.err.invalid",
    )


def _site(request: Request, session: Any, ctx: ConsolePage) -> dict[str, Any]:
    """The compound's site plan with its assembly points and, when there are points, each building's route and
    estimate from the stored simulations (nothing is simulated on a page view)."""
    from anju.emergency.evacuation_service import evacuation_service

    assert ctx.compound is not None
    plan = ctx.compound.site_plan or {}
    points = evacuation_service.assembly_points(session, by=ctx.who, compound_id=ctx.compound.id)
    site, site_err = None, None
    if points and plan.get("width"):
        try:
            site = evacuation_service.read_compound(
                session,
                by=ctx.who,
                estimate=evacuation_service.compound_estimate(session, by=ctx.who, compound_id=ctx.compound.id),
            )
        except AppError as exc:
            site_err = error_message(request, exc)
    return {
        "site_plan": plan if plan.get("width") else None,
        "site_shapes": [b for b in plan.get("buildings", []) if isinstance(b, dict)],
        "points": points,
        "site": site,
        "site_routes": [
            {"points": " ".join(f"{x},{y}" for x, y in r.route), "over": r.over_capacity} for r in site.routes
        ]
        if site
        else [],
        "site_loads": {a.id: a for a in site.assembly_points} if site else {},
        "site_missing": bool(site and site.seconds is None),
        "site_err": site_err,
    }


@router.post("/console/emergency/evacuation/compound/run")
def site_run_form(request: Request, ctx: EmergencyPage, session: WriteSession) -> Response:
    """Estimate the whole compound (simulating the buildings that have no current run)."""
    from anju.emergency.evacuation_service import evacuation_service

    back = "/console/emergency/evacuation"
    t = Translator(lang_of(request))
    if ctx.compound is None:
        return go_back(request, back)
    try:
        evacuation_service.compound_estimate(session, by=ctx.who, compound_id=ctx.compound.id, simulate_missing=True)
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("em.saved"))


@router.post("/console/emergency/evacuation/points")
def point_form(
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    name: Annotated[str, Form()] = "",
    plan_x: Annotated[str, Form()] = "",
    plan_y: Annotated[str, Form()] = "",
    capacity: Annotated[str, Form()] = "",
) -> Response:
    """Put an assembly point on the site plan."""
    from anju.emergency.evacuation_service import evacuation_service
    from anju.emergency.schemas import AssemblyPointIn

    back = "/console/emergency/evacuation"
    t = Translator(lang_of(request))
    if ctx.compound is None:
        return go_back(request, back)
    try:
        data = AssemblyPointIn(
            compound_id=ctx.compound.id,
            name=name.strip(),
            plan_x=float(plan_x),
            plan_y=float(plan_y),
            capacity=int(capacity),
        )
        evacuation_service.add_assembly_point(session, by=ctx.who, data=data)
    except (ValidationError, ValueError):
        return go_back(request, back, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("em.saved"))


@router.post("/console/emergency/evacuation/points/{point_id}/retire")
def point_retire_form(point_id: int, request: Request, ctx: EmergencyPage, session: WriteSession) -> Response:
    from anju.emergency.evacuation_service import evacuation_service

    back = "/console/emergency/evacuation"
    try:
        evacuation_service.retire_assembly_point(session, by=ctx.who, point_id=point_id)
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=Translator(lang_of(request))("em.saved"))


@router.post("/console/emergency/evacuation/{building_id}/run")
async def evacuation_run_form(
    building_id: int, request: Request, ctx: EmergencyPage, session: WriteSession
) -> Response:
    """Run the simulation with the ticked exits blocked (a what-if)."""
    from anju.emergency.evacuation_service import evacuation_service

    back = f"/console/emergency/evacuation?building_id={building_id}"
    form = await request.form()
    blocked = [str(v) for v in form.getlist("blocked")][:20]
    try:
        run = evacuation_service.simulate(session, by=ctx.who, building_id=building_id, blocked=blocked)
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, f"{back}&run_id={run.id}")


@router.post("/console/emergency/evacuation/{building_id}/floor-plan")
def floor_plan_form(
    building_id: int,
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    template: Annotated[str, Form()] = "slab",
    people_per_floor: Annotated[str, Form()] = "",
    elderly_percent: Annotated[str, Form()] = "10",
) -> Response:
    """Choose the building's floor template and how many people a floor holds."""
    from anju.emergency.evacuation_service import evacuation_service
    from anju.emergency.schemas import FloorPlanIn

    t = Translator(lang_of(request))
    back = f"/console/emergency/evacuation?building_id={building_id}"
    try:
        data = FloorPlanIn(
            template=template, people_per_floor=int(people_per_floor), elderly_percent=int(elderly_percent or "0")
        )
        if data.template == "custom":
            raise ValueError("a drawn floor is set through the API")
        evacuation_service.set_floor_plan(session, by=ctx.who, building_id=building_id, data=data)
    except (ValidationError, ValueError):
        return go_back(request, back, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("em.saved"))


@router.post("/console/emergency/evacuation/{building_id}/floor-plan/draw")
def floor_draw_form(
    building_id: int,
    request: Request,
    ctx: EmergencyPage,
    session: WriteSession,
    geometry: Annotated[str, Form()] = "",
    people_per_floor: Annotated[str, Form()] = "",
    elderly_percent: Annotated[str, Form()] = "10",
) -> Response:
    """Store the floor drawn in the editor (outline, exits and stairs, flats); the server checks it and refuses a
    bad drawing with the reason (a crossing outline, an exit off the outline, overlapping exits…)."""
    import json

    from anju.emergency.evacuation_service import evacuation_service
    from anju.emergency.schemas import FloorPlanIn

    back = f"/console/emergency/evacuation?building_id={building_id}&edit=1"

    def save() -> object:
        drawn = json.loads(geometry)
        if not isinstance(drawn, dict):
            raise ValueError("the drawing must be an object")
        data = FloorPlanIn(
            template="custom",
            geometry=drawn,
            people_per_floor=int(people_per_floor),
            elderly_percent=int(elderly_percent or "0"),
        )
        return evacuation_service.set_floor_plan(session, by=ctx.who, building_id=building_id, data=data)

    return form_action(request, session, back, save, ok="ev.drawn_saved", invalid="ev.err.drawing")
