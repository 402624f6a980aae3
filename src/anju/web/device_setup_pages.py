"""Device set-up pages (issue 11 item 6): register a device (type, place on the site plan; its secret is
shown once, on the page that answers the form, never in a URL), edit it, retire it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.devices.admin_service import DeviceEdit, device_admin_service
from anju.devices.enums import DeviceType
from anju.devices.permissions import DevicesPerm
from anju.devices.schemas import DeviceCreate
from anju.devices.service import device_service
from anju.registry.service import house_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import error_message, go_back, outcome, query_int
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

# Included by devices_pages.router (prefix /console).
router = APIRouter(include_in_schema=False)

DeviceAdmin = Annotated[ConsolePage, Depends(console_guard(DevicesPerm.manage))]


def _text(request: Request, e: Exception) -> str:
    if isinstance(e, ValidationError):
        t = Translator(lang_of(request))
        return t("structure.err.invalid") + " " + "; ".join(f"{x['loc'][-1]}: {x['msg']}" for x in e.errors())[:300]
    return error_message(request, e)


def _page(request: Request, ctx: ConsolePage, session: Session, status_code: int = 200, **values: Any) -> Response:
    buildings = house_service.buildings(session, compound_id=ctx.compound.id) if ctx.compound else []
    return render(
        request,
        "devices/setup.html",
        ctx.context(
            "nav.devices",
            types=list(DeviceType),
            buildings=buildings,
            plan=(ctx.compound.site_plan if ctx.compound else None) or {},
            **{**outcome(request), **values},
        ),
        status_code=status_code,
    )


@router.get("/device-setup")
def setup_page(request: Request, ctx: DeviceAdmin, session: ReadSession, device: str | None = None) -> Response:
    """The registration form, or one device's edit and retire forms (?device=)."""
    device_id = query_int(device, minimum=1)
    edit = device_admin_service.get(session, by=ctx.who, device_id=device_id) if device_id else None
    return _page(request, ctx, session, edit=edit)


@router.post("/device-setup")
def register(
    request: Request,
    ctx: DeviceAdmin,
    session: WriteSession,
    device_key: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=64)] = "",
    device_type: Annotated[str, Form(max_length=32)] = "",
    vendor: Annotated[str, Form(max_length=64)] = "",
    model: Annotated[str, Form(max_length=64)] = "",
    building_id: Annotated[str, Form(max_length=20)] = "",
    location: Annotated[str, Form(max_length=128)] = "",
    plan_x: Annotated[str, Form(max_length=10)] = "",
    plan_y: Annotated[str, Form(max_length=10)] = "",
    heartbeat_seconds: Annotated[str, Form(max_length=10)] = "60",
    auto_cutoff: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Register a device in the selected compound; the answer shows its secret once."""
    if ctx.compound is None:
        return go_back(request, "/console/device-setup")
    form = {"device_key": device_key, "name": name, "location": location}
    try:
        data = DeviceCreate(
            compound_id=ctx.compound.id,
            device_key=device_key.strip(),
            name=name.strip(),
            device_type=device_type,  # validated by the schema
            vendor=vendor.strip() or None,
            model=model.strip() or None,
            building_id=query_int(building_id, minimum=1),
            location=location.strip() or None,
            plan_x=query_int(plan_x),
            plan_y=query_int(plan_y),
            heartbeat_seconds=query_int(heartbeat_seconds) or 60,
            capabilities={"auto_cutoff": True} if auto_cutoff == "true" else {},
        )
        device, secret = device_service.register(session, by=ctx.who, data=data)
        device_admin_service.record_registration(session, by=ctx.who, device=device)
    except (AppError, ValidationError) as e:
        session.rollback()
        status = e.status_code if isinstance(e, AppError) else 422
        return _page(request, ctx, session, status_code=status, err=_text(request, e), form=form, edit=None)
    return _page(request, ctx, session, created=device, secret=secret, edit=None)


@router.post("/device-setup/{device_id}")
def edit(
    device_id: int,
    request: Request,
    ctx: DeviceAdmin,
    session: WriteSession,
    name: Annotated[str, Form(max_length=64)] = "",
    location: Annotated[str, Form(max_length=128)] = "",
    plan_x: Annotated[str, Form(max_length=10)] = "",
    plan_y: Annotated[str, Form(max_length=10)] = "",
    heartbeat_seconds: Annotated[str, Form(max_length=10)] = "60",
) -> Response:
    """Edit a device's name, place and heartbeat."""
    device = device_admin_service.get(session, by=ctx.who, device_id=device_id)
    back = f"/console/device-setup?device={device.id}&compound_id={device.compound_id}"
    try:
        data = DeviceEdit(
            name=name.strip(),
            location=location.strip() or None,
            plan_x=query_int(plan_x),
            plan_y=query_int(plan_y),
            heartbeat_seconds=query_int(heartbeat_seconds) or 60,
        )
        device_admin_service.update(session, by=ctx.who, device=device, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        return go_back(request, back, err=_text(request, e))
    return go_back(request, back, ok=Translator(lang_of(request))("structure.ok.saved"))


@router.post("/device-setup/{device_id}/retire")
def retire(
    device_id: int,
    request: Request,
    ctx: DeviceAdmin,
    session: WriteSession,
    reason: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    """Retire a device: it stays on record with its history, no longer active."""
    device = device_admin_service.get(session, by=ctx.who, device_id=device_id)
    back = f"/console/device-setup?device={device.id}&compound_id={device.compound_id}"
    try:
        device_admin_service.retire(session, by=ctx.who, device=device, reason=" ".join(reason.split()) or None)
    except AppError as e:
        session.rollback()
        return go_back(request, back, err=_text(request, e))
    return go_back(request, back, ok=Translator(lang_of(request))("device_setup.ok.retired"))
