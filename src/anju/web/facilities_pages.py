"""Facilities pages: the 设施设备 due list with equipment registration and R-S4 sign-off, and the fire
control-room duty roster (R-S7).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from anju.accounts.service import display_names
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import china_date
from anju.facilities.permissions import FacilitiesPerm
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import go_back, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
FacilityPage = Annotated[ConsolePage, Depends(console_guard(FacilitiesPerm.read))]


@router.post("/console/facilities/equipment")
def facilities_add_equipment(
    request: Request,
    ctx: FacilityPage,
    session: WriteSession,
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    extinguisher_type: Annotated[str, Form()] = "",
    manufactured_on: Annotated[str, Form()] = "",
    crowded: Annotated[str, Form()] = "",
    certificate_expires_on: Annotated[str, Form()] = "",
) -> Response:
    """Register equipment from the due-list page; its statutory plans follow (R-W2, R-S4–R-S6)."""
    from anju.facilities.schemas import EquipmentBody
    from anju.facilities.service import register

    t = Translator(lang_of(request))
    ctx.who.require(FacilitiesPerm.manage)
    back = "/console/facilities"
    if ctx.compound is None:
        return go_back(request, back, err=t("wo.err.invalid"))
    try:
        body = EquipmentBody(
            compound_id=ctx.compound.id,
            kind=kind,
            name=name.strip(),
            location=location.strip() or None,
            extinguisher_type=extinguisher_type or None,
            manufactured_on=manufactured_on or None,
            crowded_location=bool(crowded),
            certificate_expires_on=certificate_expires_on or None,
        )
    except ValidationError:
        return go_back(request, back, err=t("facilities.bad_equipment"))
    try:
        register(
            session,
            by=ctx.who,
            compound_id=body.compound_id,
            kind=body.kind,
            name=body.name,
            location=body.location,
            extinguisher_type=body.extinguisher_type,
            manufactured_on=body.manufactured_on,
            crowded=body.crowded_location,
            certificate_expires_on=body.certificate_expires_on,
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("wo.ok.done"))


@router.get("/console/facilities")
def facilities_due(request: Request, ctx: FacilityPage, session: ReadSession, within: int = 60) -> Response:
    """设施设备: plans due soon, overdue ones flagged, with the work order raised for them."""
    from anju.facilities.service import due_list, may_sign_off

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.facilities"))
    from anju.facilities.fire_duty import open_gaps

    rows = due_list(session, compound_id=ctx.compound.id, today=china_date(), within_days=max(0, min(within, 3650)))
    return render(
        request,
        "facilities/due.html",
        ctx.context(
            "nav.facilities",
            rows=rows,
            within=within,
            unsigned=_unsigned(session, ctx.compound.id),
            gaps=open_gaps(session, compound_id=ctx.compound.id),
            can_sign=may_sign_off(ctx.who),
            can_manage=ctx.who.can(FacilitiesPerm.manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


def _unsigned(session: ReadSession, compound_id: int) -> list[dict[str, Any]]:
    """R-S4: fire checks the inspector signed and the supervisor has not: not complete yet."""
    from anju.facilities.service import PLAN_ZH, awaiting_sign_off

    rows = awaiting_sign_off(session, compound_id=compound_id)
    names = display_names(session, {r.inspector_user_id for r, _ in rows})
    return [{"row": r, "label": PLAN_ZH.get(k, k), "inspector": names.get(r.inspector_user_id, "")} for r, k in rows]


@router.post("/console/facilities/inspections/{inspection_id}/sign-off")
def facilities_sign_off(
    inspection_id: int, request: Request, ctx: FacilityPage, session: WriteSession, note: Annotated[str, Form()] = ""
) -> Response:
    """The manager countersigns a fire check (R-S4); the inspector cannot."""
    from anju.facilities.service import sign_off

    t = Translator(lang_of(request))
    try:
        sign_off(session, by=ctx.who, inspection_id=inspection_id, note=note.strip()[:200] or None)
    except AppError as exc:
        return refused(request, session, "/console/facilities", exc)
    return go_back(request, "/console/facilities", ok=t("wo.ok.done"))


FIRE_SHIFTS = ((0, 8), (8, 16), (16, 24))  # the page's day template: three 8-hour shifts, China time


@router.get("/console/facilities/fire-duty")
def fire_duty_page(request: Request, ctx: FacilityPage, session: ReadSession) -> Response:
    """消防控制室值班 (R-S7): the next 7 days' shifts, the flagged gaps, and a form to set one day."""
    from datetime import datetime, time, timedelta

    from anju.facilities.fire_duty import (
        HORIZON,
        MIN_ON_DUTY,
        open_gaps,
        shifts_between,
        staffing,
    )
    from anju.workorders.sla import CST

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.facilities"))
    cid = ctx.compound.id
    start = datetime.combine(utcnow().astimezone(CST).date(), time(0), tzinfo=CST)
    shifts = shifts_between(session, compound_id=cid, start=start, end=start + HORIZON)
    preview = staffing([(x.starts_at, x.ends_at, x.staff) for x in shifts], start, start + HORIZON)
    return render(
        request,
        "facilities/fire_duty.html",
        ctx.context(
            "nav.facilities",
            shifts=shifts,
            gaps=open_gaps(session, compound_id=cid),
            preview=preview,
            min_on_duty=MIN_ON_DUTY,
            day=(start + timedelta(days=1)).date().isoformat(),
            templates=FIRE_SHIFTS,
            can_manage=ctx.who.can(FacilitiesPerm.manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/facilities/fire-duty")
def fire_duty_set_day(
    request: Request,
    ctx: FacilityPage,
    session: WriteSession,
    day: Annotated[str, Form()] = "",
    staff0: Annotated[str, Form()] = "",
    staff1: Annotated[str, Form()] = "",
    staff2: Annotated[str, Form()] = "",
) -> Response:
    """Set one day's three shifts; names separated by commas or 、. A short-handed shift is kept and flagged."""
    import re
    from datetime import datetime, time, timedelta

    from anju.facilities.fire_duty import set_roster
    from anju.workorders.sla import CST

    t = Translator(lang_of(request))
    ctx.who.require(FacilitiesPerm.manage)
    back = "/console/facilities/fire-duty"
    try:
        first = datetime.combine(date.fromisoformat(day), time(0), tzinfo=CST)
    except ValueError:
        return go_back(request, back, err=t("fire_duty.bad_day"))
    if ctx.compound is None:
        return go_back(request, back, err=t("wo.err.invalid"))
    shifts = []
    for (a, b), raw in zip(FIRE_SHIFTS, (staff0, staff1, staff2), strict=True):
        names = [n.strip() for n in re.split(r"[,，、\s]+", raw) if n.strip()]
        if names:
            shifts.append((first + timedelta(hours=a), first + timedelta(hours=b), names))
    try:
        gaps = set_roster(
            session, by=ctx.who, compound_id=ctx.compound.id, start=first, end=first + timedelta(days=1), shifts=shifts
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    if gaps:
        return go_back(request, back, ok=t("fire_duty.saved_gaps", n=len(gaps)))
    return go_back(request, back, ok=t("wo.ok.done"))
