"""Patrol API: routes and checkpoints, check-ins (QR / NFC), status, handovers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.patrol import service
from anju.patrol.exceptions import CheckpointNotFound, NfcTagTaken, RouteNotFound
from anju.patrol.models import PatrolCheckpoint, PatrolRoute
from anju.patrol.permissions import PatrolPerm
from anju.patrol.schemas import CheckinRead, CheckpointRead, HandoverBody, RouteBody, RouteRead, ScanBody

router = APIRouter(prefix="/patrol", tags=["patrol"])
PatrolReader = Annotated[Principal, requires(PatrolPerm.read)]
PatrolManager = Annotated[Principal, requires(PatrolPerm.manage)]
PatrolGuard = Annotated[Principal, requires(PatrolPerm.checkin)]


@router.post(
    "/routes",
    response_model=RouteRead,
    status_code=201,
    responses={409: NfcTagTaken.doc()},
)
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


@router.get(
    "/routes/{route_id}/checkpoints",
    response_model=list[CheckpointRead],
    responses={404: RouteNotFound.doc()},
)
def route_checkpoints(route_id: int, who: PatrolReader, session: ReadSession) -> list[PatrolCheckpoint]:
    """A route's checkpoints in walking order, with the codes to print."""
    return service.route_checkpoints(session, by=who, route_id=route_id)


@router.post(
    "/checkins",
    response_model=CheckinRead,
    status_code=201,
    responses={404: CheckpointNotFound.doc()},
)
def check_in(body: ScanBody, who: PatrolGuard, session: WriteSession) -> object:
    """A guard scans a checkpoint's QR code or NFC tag; another compound's code is a 404."""
    return service.check_in(
        session, by=who, code=body.code, nfc_tag=body.nfc_tag, scanned_at=body.scanned_at, client_id=body.client_id
    )


@router.post("/handovers", status_code=201)
def shift_handover(body: HandoverBody, who: PatrolGuard, session: WriteSession) -> dict[str, int]:
    """交接班: record what the next shift takes over."""
    row = service.handover(session, by=who, compound_id=body.compound_id, to_user_id=body.to_user_id, note=body.note)
    return {"id": row.id}
