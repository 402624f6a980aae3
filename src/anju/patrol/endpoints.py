"""Patrol API: routes and checkpoints, check-ins (QR / NFC), status, handovers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound
from anju.core.schemas import InSchema, Schema
from anju.patrol import service
from anju.patrol.models import PatrolCheckpoint, PatrolRoute
from anju.patrol.permissions import PatrolPerm

router = APIRouter(prefix="/patrol", tags=["patrol"])
PatrolReader = Annotated[Principal, requires(PatrolPerm.read)]
PatrolManager = Annotated[Principal, requires(PatrolPerm.manage)]
PatrolGuard = Annotated[Principal, requires(PatrolPerm.checkin)]


class CheckpointBody(InSchema):
    name: str = Field(min_length=1, max_length=64)
    nfc_tag: str | None = Field(None, max_length=64)
    building_id: int | None = None
    key_point: bool = False
    max_interval_minutes: int | None = Field(None, ge=5, le=24 * 60)


class RouteBody(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    checkpoints: list[CheckpointBody] = Field(min_length=1, max_length=200)
    windows: list[tuple[int, int]] = Field(default_factory=list, description="(start minute after midnight, length)")


class CheckpointRead(Schema):
    id: int
    route_id: int
    name: str
    code: str
    nfc_tag: str | None
    key_point: bool
    max_interval_minutes: int | None


class RouteRead(Schema):
    id: int
    compound_id: int
    name: str
    active: bool


class ScanBody(InSchema):
    code: str | None = Field(None, max_length=64)
    nfc_tag: str | None = Field(None, max_length=64)


class CheckinRead(Schema):
    id: int
    checkpoint_id: int
    route_id: int
    method: str
    at: datetime


class HandoverBody(InSchema):
    compound_id: int
    to_user_id: int | None = None
    note: str = Field(min_length=2, max_length=1000)


@router.post("/routes", response_model=RouteRead, status_code=201, operation_id="patrol-route-create")
def create_route(body: RouteBody, who: PatrolManager, session: WriteSession) -> PatrolRoute:
    """A route with its checkpoints (each gets a QR code) and daily windows."""
    return service.create_route(
        session,
        by=who,
        compound_id=body.compound_id,
        name=body.name,
        checkpoints=[c.model_dump() for c in body.checkpoints],
        windows=body.windows,
    )


@router.get("/routes/{route_id}/checkpoints", response_model=list[CheckpointRead], operation_id="patrol-checkpoints")
def route_checkpoints(route_id: int, who: PatrolReader, session: ReadSession) -> list[PatrolCheckpoint]:
    route = session.get(PatrolRoute, route_id)
    if route is None or not who.in_scope(route.compound_id):
        raise NotFound(f"route {route_id}")
    return list(
        session.execute(
            select(PatrolCheckpoint).where(PatrolCheckpoint.route_id == route_id).order_by(PatrolCheckpoint.seq)
        ).scalars()
    )


@router.post("/checkins", response_model=CheckinRead, status_code=201, operation_id="patrol-checkin")
def check_in(body: ScanBody, who: PatrolGuard, session: WriteSession) -> object:
    """A guard scans a checkpoint's QR code or NFC tag; another compound's code is a 404."""
    return service.check_in(session, by=who, code=body.code, nfc_tag=body.nfc_tag)


@router.post("/handovers", status_code=201, operation_id="patrol-handover")
def shift_handover(body: HandoverBody, who: PatrolGuard, session: WriteSession) -> dict[str, int]:
    """交接班: record what the next shift takes over."""
    row = service.handover(session, by=who, compound_id=body.compound_id, to_user_id=body.to_user_id, note=body.note)
    return {"id": row.id}
