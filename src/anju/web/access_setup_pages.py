"""Access point set-up pages (issue 11 item 6): register a gate, door or garage door (its building, its place
in words and its point on the site plan, face capability and threshold), edit it, retire it, and register a
terminal for it. A terminal's secret is shown once, on the page that answers the form, never in a URL.

Every change goes through the access domain's services (the same as the API), which keep the change records."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.access.enums import AccessPointKind, LocationType
from anju.access.models import AccessPoint
from anju.access.permissions import AccessPerm
from anju.access.points_service import access_point_service, points_in, terminal_service
from anju.access.schemas import AccessPointCreate, AccessPointUpdate, TerminalCreate
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.registry.service import house_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import error_message, go_back, one_line, outcome, query_int
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(prefix="/console", include_in_schema=False)

AccessAdmin = Annotated[ConsolePage, Depends(console_guard(AccessPerm.manage))]


def _text(request: Request, e: Exception) -> str:
    if isinstance(e, ValidationError):
        t = Translator(lang_of(request))
        return t("structure.err.invalid") + " " + "; ".join(f"{x['loc'][-1]}: {x['msg']}" for x in e.errors())[:300]
    return error_message(request, e, fallback="structure.err.invalid")


def _threshold(value: str) -> float | None:
    """The face threshold field: blank is the default for the kind; else a number (the schema checks range)."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise Invalid(
            "the face threshold must be a number", zh="人脸阈值须为数字", fields=[{"field": "face_threshold"}]
        )
    return number


def _checked(value: str) -> bool:
    return value == "true"


def _page(request: Request, ctx: ConsolePage, session: Session, status_code: int = 200, **values: Any) -> Response:
    compound = ctx.compound
    points = points_in(session, who=ctx.who, compound_id=compound.id) if compound else []
    terminals = terminal_service.list(session, who=ctx.who, compound_id=compound.id) if compound else []
    per_point: dict[int, list[Any]] = {}
    for terminal, point_ids in terminals:
        for pid in point_ids:
            per_point.setdefault(pid, []).append(terminal)
    buildings = house_service.buildings(session, compound_id=compound.id) if compound else []
    return render(
        request,
        "access_setup/setup.html",
        ctx.context(
            "nav.access_setup",
            kinds=list(AccessPointKind),
            location_types=list(LocationType),
            points=points,
            terminals_of=per_point,
            buildings=buildings,
            building_names={b.id: b.name for b in buildings},
            plan=(compound.site_plan if compound else None) or {},
            **{**outcome(request), **values},
        ),
        status_code=status_code,
    )


def _back(ap: AccessPoint) -> str:
    return f"/console/access-setup?point={ap.id}&compound_id={ap.compound_id}"


@router.get("/access-setup")
def setup_page(request: Request, ctx: AccessAdmin, session: ReadSession, point: str | None = None) -> Response:
    """The access points of the selected compound and the registration form, or one point's forms (?point=)."""
    point_id = query_int(point, minimum=1)
    edit = access_point_service.get(session, who=ctx.who, access_point_id=point_id) if point_id else None
    return _page(request, ctx, session, edit=edit)


@router.post("/access-setup")
def register(
    request: Request,
    ctx: AccessAdmin,
    session: WriteSession,
    name: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    location_type: Annotated[str, Form(max_length=32)] = "",
    building_id: Annotated[str, Form(max_length=20)] = "",
    location: Annotated[str, Form(max_length=128)] = "",
    plan_x: Annotated[str, Form(max_length=10)] = "",
    plan_y: Annotated[str, Form(max_length=10)] = "",
    face_capable: Annotated[str, Form(max_length=8)] = "",
    face_threshold: Annotated[str, Form(max_length=16)] = "",
    signage_installed: Annotated[str, Form(max_length=8)] = "",
    evacuation_route: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Register an access point in the selected compound."""
    if ctx.compound is None:
        return go_back(request, "/console/access-setup")
    form = {"name": name, "location": location, "plan_x": plan_x, "plan_y": plan_y, "face_threshold": face_threshold}
    try:
        data = AccessPointCreate(
            compound_id=ctx.compound.id,
            name=name.strip(),
            kind=kind,  # validated by the schema
            location_type=location_type,
            building_id=query_int(building_id, minimum=1),
            location=one_line(location, limit=128),
            plan_x=query_int(plan_x),
            plan_y=query_int(plan_y),
            face_capable=_checked(face_capable),
            face_threshold=_threshold(face_threshold),
            signage_installed=_checked(signage_installed),
            evacuation_route=_checked(evacuation_route),
        )
        if not data.name:
            raise Invalid("a name is required", zh="请填写名称", fields=[{"field": "name"}])
        ap = access_point_service.create(session, who=ctx.who, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        status = e.status_code if isinstance(e, AppError) else 422
        return _page(request, ctx, session, status_code=status, err=_text(request, e), form=form, edit=None)
    return go_back(request, _back(ap), ok=Translator(lang_of(request))("access_setup.ok.registered", name=ap.name))


@router.post("/access-setup/{point_id}")
def edit(
    point_id: int,
    request: Request,
    ctx: AccessAdmin,
    session: WriteSession,
    name: Annotated[str, Form(max_length=64)] = "",
    location_type: Annotated[str, Form(max_length=32)] = "",
    location: Annotated[str, Form(max_length=128)] = "",
    plan_x: Annotated[str, Form(max_length=10)] = "",
    plan_y: Annotated[str, Form(max_length=10)] = "",
    face_capable: Annotated[str, Form(max_length=8)] = "",
    face_enabled: Annotated[str, Form(max_length=8)] = "",
    face_threshold: Annotated[str, Form(max_length=16)] = "",
    signage_installed: Annotated[str, Form(max_length=8)] = "",
    evacuation_route: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Edit a point's name, place, face capability and threshold (the face rules are the API's)."""
    ap = access_point_service.get(session, who=ctx.who, access_point_id=point_id)
    back = _back(ap)
    t = Translator(lang_of(request))
    try:
        if not ap.active:
            raise Invalid("a retired access point cannot be edited", zh="门禁点已停用，不能修改")
        if not name.strip():
            raise Invalid("a name is required", zh="请填写名称", fields=[{"field": "name"}])
        data = AccessPointUpdate(
            name=name.strip(),
            location_type=location_type or None,  # validated by the schema
            location=one_line(location, limit=128),
            plan_x=query_int(plan_x),
            plan_y=query_int(plan_y),
            face_capable=_checked(face_capable),
            face_enabled=_checked(face_enabled),
            face_threshold=_threshold(face_threshold),
            signage_installed=_checked(signage_installed),
            evacuation_route=_checked(evacuation_route),
        )
        access_point_service.update(session, who=ctx.who, ap=ap, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        return go_back(request, back, err=_text(request, e))
    return go_back(request, back, ok=t("structure.ok.saved"))


@router.post("/access-setup/{point_id}/retire")
def retire(
    point_id: int,
    request: Request,
    ctx: AccessAdmin,
    session: WriteSession,
    reason: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    """Retire a point: it stays on record with its history; terminals deny it from their next sync."""
    ap = access_point_service.get(session, who=ctx.who, access_point_id=point_id)
    back = _back(ap)
    try:
        access_point_service.retire(session, who=ctx.who, ap=ap, reason=one_line(reason, limit=255))
    except AppError as e:
        session.rollback()
        return go_back(request, back, err=_text(request, e))
    return go_back(request, back, ok=Translator(lang_of(request))("access_setup.ok.retired"))


@router.post("/access-setup/{point_id}/terminals")
def add_terminal(
    point_id: int,
    request: Request,
    ctx: AccessAdmin,
    session: WriteSession,
    name: Annotated[str, Form(max_length=64)] = "",
    face_capable: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Register a terminal (door controller, gate panel) for this point; the answer shows its secret once."""
    ap = access_point_service.get(session, who=ctx.who, access_point_id=point_id)
    try:
        if not name.strip():
            raise Invalid("a name is required", zh="请填写名称", fields=[{"field": "name"}])
        data = TerminalCreate(
            compound_id=ap.compound_id, name=name.strip(), face_capable=_checked(face_capable), access_point_ids=[ap.id]
        )
        terminal, secret = terminal_service.create(session, who=ctx.who, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        return go_back(request, _back(ap), err=_text(request, e))
    return _page(request, ctx, session, edit=ap, terminal=terminal, secret=secret)
