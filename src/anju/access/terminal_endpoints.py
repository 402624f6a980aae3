"""Terminal API (device key auth): decisions, offline replay, allow-list sync."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile

from anju.access.auth import CurrentTerminal
from anju.access.decision_service import decision_service
from anju.access.schemas import DecisionRead, DecisionRequest, OfflineBatch, ReplayResult, SyncRead
from anju.access.sync_service import terminal_sync_service
from anju.core.db import utcnow
from anju.core.deps import WriteSession

router = APIRouter(prefix="/terminals", tags=["terminals"])
MAX_FRAME = 4 * 1024 * 1024


@router.post("/decisions", response_model=DecisionRead)
def decide(body: DecisionRequest, terminal: CurrentTerminal, session: WriteSession) -> DecisionRead:
    """Allow or deny a card, PIN, QR or face embedding at one of the terminal's doors; always logged."""
    return decision_service.decide(session, terminal=terminal, req=body, now=utcnow())


@router.post("/decisions/face", response_model=DecisionRead)
def decide_face(
    terminal: CurrentTerminal,
    session: WriteSession,
    access_point_id: Annotated[int, Form()],
    image: Annotated[UploadFile, File()],
    direction: Annotated[Literal["in", "out"], Form()] = "in",
    device_time: Annotated[datetime | None, Form()] = None,
    record_id: Annotated[str | None, Form(max_length=64)] = None,
    liveness: Annotated[bool | None, Form()] = None,
) -> DecisionRead:
    """Allow or deny from a camera frame (exactly one face, 1:N in the compound).

    `liveness`: the terminal's liveness verdict, recorded with the decision; points that require it refuse
    face-only entry without `true`."""
    data = image.file.read(MAX_FRAME + 1)
    if device_time is not None and device_time.tzinfo is None:
        device_time = None  # a naive device clock cannot be compared; the attempt is still decided
    return decision_service.decide_face_image(
        session,
        terminal=terminal,
        access_point_id=access_point_id,
        image=data if len(data) <= MAX_FRAME else b"",
        direction=direction,
        device_time=device_time,
        record_id=record_id,
        now=utcnow(),
        liveness=liveness,
    )


@router.post("/records", response_model=ReplayResult, status_code=202)
def replay_records(body: OfflineBatch, terminal: CurrentTerminal, session: WriteSession) -> ReplayResult:
    """Upload records decided while offline; repeats are counted as duplicates, never stored twice."""
    return decision_service.replay(session, terminal=terminal, batch=body, now=utcnow())


@router.get("/sync", response_model=SyncRead)
def sync(
    terminal: CurrentTerminal,
    session: WriteSession,
    since: int = Query(0, ge=0),
    limit: int = Query(2000, ge=1, le=10000),
) -> dict[str, Any]:
    """Changes to this terminal's allow-list after cursor `since` (0 = the full list), tombstones included."""
    return terminal_sync_service.changes(session, terminal=terminal, since=since, limit=limit)
