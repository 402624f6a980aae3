"""Device API: registry, HTTP intake (public, device-authenticated), commands, rules, dead letters."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden, Unauthenticated
from anju.core.schemas import PageParams, page_params
from anju.core.text import encodable_json
from anju.devices.auth import DeviceCommander, DeviceReader, DeviceWriter
from anju.devices.command_service import command_service
from anju.devices.enums import DeviceStatus, DeviceType
from anju.devices.exceptions import BadDeviceLocation, CommandNotSupported, DeviceKeyTaken, DeviceNotFound
from anju.devices.intake_service import intake_service
from anju.devices.models import DeadLetter, Device, DeviceCommand, DeviceState, GatewaySession
from anju.devices.repository import DeviceRepository
from anju.devices.schemas import (
    CommandCreate,
    CommandRead,
    DeadLetterRead,
    DeviceCreate,
    DeviceCreated,
    DeviceList,
    DeviceRead,
    GatewaySessionRead,
    IngestResult,
    RuleSetWrite,
)
from anju.devices.service import device_service

router = APIRouter(prefix="/devices", tags=["devices"])
public_router = APIRouter(prefix="/devices", tags=["devices"])


def device_read(d: Device, s: DeviceState | None) -> DeviceRead:
    base = DeviceRead.model_validate(d)
    if s is not None:
        base.status, base.last_seen_at, base.values = s.status, s.last_seen_at, encodable_json(dict(s.values or {}))
    return base


@public_router.post(
    "/ingest",
    status_code=202,
    response_model=IngestResult,
    responses={401: Unauthenticated.doc(), 400: {"description": "malformed JSON"}, 413: {"description": "too large"}},
)
async def ingest(
    request: Request,
    session: WriteSession,
    x_device_key: str | None = Header(None),
    x_device_secret: str | None = Header(None),
    x_device_signature: str | None = Header(None),
) -> object:
    """Device push: one message or a JSON list of up to 500 (see docs/mqtt.md for the payload).

    Authenticate with `X-Device-Key` plus either `X-Device-Signature: sha256=<hex HMAC-SHA256 of
    the raw body under the device secret>` or `X-Device-Secret`. Bad items are dead-lettered and
    listed in `rejected`; a repeated `event_id` counts as a duplicate, never twice.
    """
    body = await request.body()
    status, result = await run_in_threadpool(
        intake_service.ingest_http,
        session,
        device_key=x_device_key,
        secret=x_device_secret,
        signature=x_device_signature,
        body=body,
    )
    if isinstance(result, IngestResult):
        return JSONResponse(status_code=status, content=result.model_dump())
    # A JSONResponse (not a raised error) so the dead-letter row commits with the request.
    code = {401: "device_unauthenticated", 400: "malformed_json", 413: "too_large"}.get(status, "rejected")
    return JSONResponse(
        status_code=status,
        content={
            "error": {
                "code": code,
                "message": {"zh": "设备消息被拒绝", "en": f"rejected: {result.reason}"},
                "fields": [{"field": "body", "message": result.detail or result.reason, "type": result.reason}],
            }
        },
    )


@router.get("", response_model=DeviceList)
def list_devices(
    who: DeviceReader,
    session: ReadSession,
    page: PageParams = Depends(page_params),
    compound_id: int | None = None,
    device_type: DeviceType | None = None,
    building_id: int | None = None,
    status: DeviceStatus | None = None,
    q: str | None = None,
) -> DeviceList:
    """Devices of my compounds with their online status and latest values."""
    rows, total = DeviceRepository(session).search(
        who,
        compound_id=compound_id,
        device_type=device_type,
        building_id=building_id,
        status=status,
        q=q,
        offset=page.offset,
        limit=page.page_size,
    )
    return DeviceList(items=[device_read(d, s) for d, s in rows], total=total, page=page.page, page_size=page.page_size)


@router.post(
    "",
    response_model=DeviceCreated,
    status_code=201,
    responses={409: DeviceKeyTaken.doc(), 422: BadDeviceLocation.doc()},
)
def register_device(body: DeviceCreate, who: DeviceWriter, session: WriteSession) -> DeviceCreated:
    """Register a device; the response carries its secret, shown only this once."""
    device, secret = device_service.register(session, by=who, data=body)
    return DeviceCreated(**device_read(device, None).model_dump(), secret=secret)


@router.get("/dead-letters", response_model=list[DeadLetterRead])
def list_dead_letters(
    who: DeviceWriter, session: ReadSession, limit: int = Query(100, ge=1, le=500)
) -> list[DeadLetterRead]:
    """Latest rejected messages of my compounds (and unattributable ones for platform admins)."""
    stmt = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
    if who.role.value != "platform_admin":
        stmt = stmt.where(DeadLetter.compound_id.in_(who.compound_ids))
    return [DeadLetterRead.model_validate(r) for r in session.execute(stmt).scalars()]


@router.get(
    "/gateway-sessions",
    response_model=list[GatewaySessionRead],
    operation_id="devices-list_gateway_sessions",
    responses={403: Forbidden.doc()},
)
def list_gateway_sessions(who: DeviceWriter, session: ReadSession) -> list[GatewaySession]:
    """Each gateway's persistent broker session and how often the broker lost it (platform admins)."""
    if who.role.value != "platform_admin":
        raise Forbidden("gateway sessions serve every compound: platform admins only", zh="仅平台管理员可查看")
    return list(session.execute(select(GatewaySession).order_by(GatewaySession.client_id)).scalars())


@router.put(
    "/rules/{compound_id}/{device_type}",
    status_code=204,
    responses={422: {"description": "an override with the wrong types"}},
)
def set_rules(
    compound_id: int, device_type: DeviceType, body: RuleSetWrite, who: DeviceWriter, session: WriteSession
) -> None:
    """Replace a compound's rule overrides for a device type (merged over the defaults by rule key)."""
    device_service.set_rules(session, by=who, compound_id=compound_id, device_type=device_type, rules=body.rules)


@router.get("/{device_id}", response_model=DeviceRead, responses={404: DeviceNotFound.doc()})
def get_device(device_id: int, who: DeviceReader, session: ReadSession) -> DeviceRead:
    """One device with its state; another compound's device is 404."""
    d = device_service.get(session, by=who, device_id=device_id)
    return device_read(d, DeviceRepository(session).state(d.id))


@router.post(
    "/{device_id}/commands",
    response_model=CommandRead,
    status_code=202,
    responses={422: CommandNotSupported.doc()},
)
def send_command(device_id: int, body: CommandCreate, who: DeviceCommander, session: WriteSession) -> DeviceCommand:
    """Queue a command; the gateway publishes it and the device's reply acknowledges it (or it times out)."""
    return command_service.issue(
        session, by=who, device_id=device_id, command=body.command, params=body.params, reason=body.reason
    )


@router.get("/{device_id}/commands", response_model=list[CommandRead])
def list_commands(device_id: int, who: DeviceReader, session: ReadSession) -> list[DeviceCommand]:
    """The device's latest commands and their acknowledgement state."""
    device_service.get(session, by=who, device_id=device_id)
    return list(
        session.execute(
            select(DeviceCommand)
            .where(DeviceCommand.device_id == device_id)
            .order_by(DeviceCommand.id.desc())
            .limit(50)
        ).scalars()
    )
