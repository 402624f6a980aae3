"""Device pages: the device list with online status and latest values, one device's panel, and commands.

Pages only: every command goes through the device command service, so the page obeys the same scope and
permission checks as the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.alarms.service import alarm_service
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.devices.command_service import command_service
from anju.devices.enums import COMMANDS, CommandName, DeviceStatus, DeviceType
from anju.devices.models import Device
from anju.devices.permissions import DevicesPerm
from anju.devices.repository import DeviceRepository
from anju.devices.service import device_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import one_line, page_number, query_int
from anju.web.queries import PageOf
from anju.web.render import is_htmx, render

router = APIRouter(prefix="/console", include_in_schema=False)

DevicePage = Annotated[ConsolePage, Depends(console_guard(DevicesPerm.read))]
DeviceDesk = Annotated[ConsolePage, Depends(console_guard(DevicesPerm.command))]
DEVICE_PAGE_SIZE = 30


# --- device list and panel -------------------------------------------------------------------------------


def _device_filters(device_type: str | None, status: str | None) -> tuple[DeviceType | None, DeviceStatus | None]:
    try:
        kind = DeviceType(device_type) if device_type else None
    except ValueError:
        kind = None
    try:
        state = DeviceStatus(status) if status else None
    except ValueError:
        state = None
    return kind, state


@router.get("/devices")
def devices_page(
    request: Request,
    ctx: DevicePage,
    session: ReadSession,
    device_type: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: str | None = None,
    device: str | None = None,
) -> Response:
    """Devices with their online status, last contact and latest values; htmx reloads only the table."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.devices"))
    kind, state = _device_filters(device_type, status)
    text = (q or "").strip()[:32]
    number = min(page_number(page), 10_000)
    rows, total = DeviceRepository(session).search(
        ctx.who,
        compound_id=ctx.compound.id,
        device_type=kind,
        building_id=None,
        status=state,
        q=text or None,
        offset=(number - 1) * DEVICE_PAGE_SIZE,
        limit=DEVICE_PAGE_SIZE,
    )
    values: dict[str, Any] = {
        "result": PageOf(items=rows, total=total, page=number, page_size=DEVICE_PAGE_SIZE),
        "filters": {"device_type": kind.value if kind else "", "status": state.value if state else "", "q": text},
        "types": list(DeviceType),
        "statuses": list(DeviceStatus),
    }
    if is_htmx(request):
        return render(request, "devices/_table.html", ctx.context("nav.devices", **values))
    device_id = query_int(device, minimum=1)
    if device_id is not None:
        found = DeviceRepository(session).get_readable(ctx.who, device_id)
        if found is not None:
            values.update(device_values(session, ctx.who, found))
    return render(request, "devices/list.html", ctx.context("nav.devices", **values))


def device_values(session: Session, who: Principal, device: Device, **extra: Any) -> dict[str, Any]:
    """What the device panel shows: state, the last messages, its alarms and commands, what it may be sent."""
    messages, commands = device_service.recent_activity(session, device=device)
    alarms = alarm_service.of_device(session, device_id=device.id, compound_id=device.compound_id)
    allowed = sorted(COMMANDS.get(device.device_type, frozenset()), key=lambda c: c.value)
    return {
        "device": device,
        "state": DeviceRepository(session).state(device.id),
        "messages": messages,
        "commands": commands,
        "device_alarms": alarms,
        "allowed_commands": allowed if who.can(DevicesPerm.command) else [],
        **extra,
    }


def _device_panel(request: Request, ctx: ConsolePage, values: dict[str, Any], status_code: int = 200) -> Response:
    return render(request, "devices/_panel.html", ctx.context("nav.devices", **values), status_code=status_code)


@router.get("/devices/{device_id}")
def device_panel(device_id: int, request: Request, ctx: DevicePage, session: ReadSession) -> Response:
    """One device: recent telemetry, alarms and commands (htmx); another compound's device is 404."""
    if not is_htmx(request):
        return RedirectResponse(f"/console/devices?device={device_id}", status_code=303)
    device = device_service.get(session, by=ctx.who, device_id=device_id)
    return _device_panel(request, ctx, device_values(session, ctx.who, device))


@router.post("/devices/{device_id}/commands")
def device_command(
    device_id: int,
    request: Request,
    ctx: DeviceDesk,
    session: WriteSession,
    command: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Queue a command (mute, cut power, open a door); the gateway sends it and the reply acknowledges it."""
    device = device_service.get(session, by=ctx.who, device_id=device_id)
    try:
        try:
            name = CommandName(command)
        except ValueError as e:
            raise Invalid(f"unknown command {command!r}", zh="未知的设备指令") from e
        issued = command_service.issue(
            session,
            by=ctx.who,
            device_id=device.id,
            command=name,
            params={},
            reason=one_line(reason, limit=255),
        )
    except AppError as e:
        session.rollback()
        device = device_service.get(session, by=ctx.who, device_id=device_id)
        return _device_panel(
            request, ctx, device_values(session, ctx.who, device, error=e.body()["error"]["message"]), e.status_code
        )
    if not is_htmx(request):
        return RedirectResponse(f"/console/devices?device={device.id}", status_code=303)
    return _device_panel(request, ctx, device_values(session, ctx.who, device, issued=issued))


# Device set-up (register, edit, retire; issue 11 item 6) lives in its own module, under the same prefix.
from anju.web.device_setup_pages import router as setup_router  # noqa: E402

router.include_router(setup_router)
