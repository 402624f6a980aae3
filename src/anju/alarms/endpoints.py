"""Alarm centre API: list, detail with history, state transitions, live feed. No update or delete (R-A8)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from anju.alarms.auth import AlarmHandler, AlarmReader, AlarmStats
from anju.alarms.enums import AlarmAction, AlarmOutcome, AlarmSeverity, AlarmStatus
from anju.alarms.events import AlarmRequested
from anju.alarms.exceptions import (
    AlarmNotFound,
    AlarmPlaceNotFound,
    AlarmStateConflict,
    BadDispatchTarget,
    ReviewRequired,
)
from anju.alarms.models import Alarm
from anju.alarms.repository import AlarmRepository
from anju.alarms.schemas import (
    AlarmActionBody,
    AlarmCount,
    AlarmCreate,
    AlarmDetail,
    AlarmDispatchBody,
    AlarmList,
    AlarmRead,
    AlarmReasonBody,
    AlarmResolveBody,
    AlarmTransitionRead,
    EscalationRead,
)
from anju.alarms.service import alarm_service
from anju.core.db import new_session
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound
from anju.core.schemas import PageParams, page_params
from anju.core.text import MAX_ID, resume_id

router = APIRouter(prefix="/alarms", tags=["alarms"])
MAX_EVENT_ID = MAX_ID
LOOK_BACK = 50  # transitions: on PostgreSQL a lower id can commit after a higher one


_CONFLICT: dict[int | str, dict[str, Any]] = {409: AlarmStateConflict.doc(), 404: AlarmNotFound.doc()}


def detail(session: ReadSession, alarm: Alarm) -> AlarmDetail:
    repo = AlarmRepository(session)
    return AlarmDetail(
        **AlarmRead.model_validate(alarm).model_dump(),
        history=[AlarmTransitionRead.model_validate(t) for t in repo.history(alarm.id)],
        escalations=[EscalationRead.model_validate(e) for e in repo.escalations(alarm.id)],
    )


@router.get("", response_model=AlarmList)
def list_alarms(
    who: AlarmReader,
    session: ReadSession,
    page: PageParams = Depends(page_params),
    compound_id: int | None = None,
    status: list[AlarmStatus] | None = Query(None),
    kind: str | None = None,
    severity: AlarmSeverity | None = None,
    open_only: bool = False,
    device_id: int | None = None,
    since: datetime | None = None,
) -> AlarmList:
    """Alarms of my compounds, newest first."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # a naive time is read as UTC
    items, total = AlarmRepository(session).search(
        who,
        compound_id=compound_id,
        status=status,
        kind=kind,
        severity=severity,
        open_only=open_only,
        device_id=device_id,
        since=since,
        offset=page.offset,
        limit=page.page_size,
    )
    return AlarmList(
        items=[AlarmRead.model_validate(a) for a in items], total=total, page=page.page, page_size=page.page_size
    )


@router.get("/stats", response_model=list[AlarmCount])
def alarm_stats(who: AlarmStats, session: ReadSession) -> list[AlarmCount]:
    """Counts by compound, kind, severity and status (aggregates only: street office and managers)."""
    return [
        AlarmCount(compound_id=c, kind=k, severity=s, status=st, count=n)
        for c, k, s, st, n in AlarmRepository(session).counts(who.compound_ids)
    ]


# Kept out of the OpenAPI document: a long-lived stream is not a request/response operation
# (schema fuzzers would hold it open for max_seconds). Contract: see the docstring.
@router.get("/stream", include_in_schema=False)
def stream_alarms(
    who: AlarmReader,
    session: ReadSession,
    after: int | None = Query(None, ge=0, le=MAX_EVENT_ID),
    last_event_id: str | None = Header(None),
    max_seconds: float = Query(3600, gt=0, le=86400),
) -> StreamingResponse:
    """Live feed: one `alarm` event per change (raise, repeat, clear, transition), as the alarm's JSON.

    The database is the source of truth: the stream polls the append-only alarm history every
    0.5 s, so every web process sees changes made by any gateway or worker. Resume with
    `Last-Event-ID` (or `after`).
    """
    resume = after if after is not None else resume_id(last_event_id)
    latest = AlarmRepository(session).last_transition_id()
    # An id from the future (another database, a forged header) would mute the stream: start from now.
    start = latest if resume is None else min(resume, latest)
    scope = who.compound_ids

    def poll(cursor: int, seen: set[int]) -> tuple[list[str], int]:
        out = []
        with new_session() as s:
            for t, a in AlarmRepository(s).feed_after(scope, max(0, cursor - LOOK_BACK)):
                if t.id in seen:
                    continue
                seen.add(t.id)
                cursor = max(cursor, t.id)
                body = AlarmRead.model_validate(a).model_dump(mode="json")
                body["change"] = {"id": t.id, "action": t.action.value, "to": t.to_status}
                out.append(f"id: {t.id}\nevent: alarm\ndata: {json.dumps(body, ensure_ascii=False)}\n\n")
            s.rollback()
        return out, cursor

    def visible_before(cursor: int) -> set[int]:
        with new_session() as s:
            ids = AlarmRepository(s).transition_ids_between(scope, max(0, cursor - LOOK_BACK), cursor)
            s.rollback()
        return ids

    async def events() -> AsyncIterator[str]:
        # Async, with only the short poll in a worker thread: an open control-room tab must not
        # hold one of the server's few worker threads for the life of its stream.
        cursor, deadline, last_beat = start, time.monotonic() + max_seconds, 0.0
        # A new stream starts from now: the look-back window must not replay what was already there
        # (an operator opening the control room saw old critical alarms pop up as if they were new).
        # A resumed one (Last-Event-ID) may replay a little: a late commit below the id is not lost.
        seen = await run_in_threadpool(visible_before, start) if resume is None else set()
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline:
            out, cursor = await run_in_threadpool(poll, cursor, seen)
            if len(seen) > 5000:
                seen = {i for i in seen if i > cursor - LOOK_BACK}
            for chunk in out:
                yield chunk
            if time.monotonic() - last_beat > 15:
                last_beat = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.5)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"cache-control": "no-cache", "x-accel-buffering": "no"}
    )


@router.post(
    "",
    response_model=AlarmRead,
    status_code=201,
    responses={404: AlarmPlaceNotFound.doc()},
)
def raise_alarm(body: AlarmCreate, who: AlarmHandler, session: WriteSession) -> Alarm:
    """Raise an alarm by hand (e.g. a phoned-in fire); repeats of an open one only count."""
    if not who.in_scope(body.compound_id):
        raise NotFound(f"compound {body.compound_id}")
    alarm_service.check_place(
        session,
        compound_id=body.compound_id,
        building_id=body.building_id,
        unit_id=body.unit_id,
        house_id=body.house_id,
    )
    req = AlarmRequested(
        compound_id=body.compound_id,
        kind=body.kind,
        severity=body.severity.value,
        source=f"user:{who.user_id}",
        dedupe_key=f"manual:{body.kind}:{body.building_id}:{body.floor}:{body.house_id}",
        title=body.title,
        building_id=body.building_id,
        unit_id=body.unit_id,
        floor=body.floor,
        house_id=body.house_id,
    )
    res = alarm_service.raise_or_refresh(session, request=req, raised_by="user")
    return alarm_service.get(session, by=who, alarm_id=res.alarm_id)


@router.get("/{alarm_id}", response_model=AlarmDetail, responses={404: AlarmNotFound.doc()})
def get_alarm(alarm_id: int, who: AlarmReader, session: ReadSession) -> AlarmDetail:
    """One alarm with its full history and escalation steps."""
    return detail(session, alarm_service.get(session, by=who, alarm_id=alarm_id))


def _move(
    session: WriteSession,
    who: AlarmHandler,
    alarm_id: int,
    action: AlarmAction,
    reason: str | None,
    dispatch_to: int | None = None,
    outcome: AlarmOutcome | None = None,
) -> AlarmDetail:
    alarm = alarm_service.transition(
        session, by=who, alarm_id=alarm_id, action=action, reason=reason, dispatch_to=dispatch_to, outcome=outcome
    )
    return detail(session, alarm)


@router.post("/{alarm_id}/acknowledge", response_model=AlarmDetail, responses=_CONFLICT)
def acknowledge_alarm(
    alarm_id: int, who: AlarmHandler, session: WriteSession, body: AlarmActionBody | None = None
) -> AlarmDetail:
    """I have seen it (new → acknowledged); a second guard pressing at once gets 409."""
    return _move(session, who, alarm_id, AlarmAction.acknowledged, body.reason if body else None)


@router.post(
    "/{alarm_id}/dispatch",
    response_model=AlarmDetail,
    responses={**_CONFLICT, 422: BadDispatchTarget.doc()},
)
def dispatch_alarm(alarm_id: int, body: AlarmDispatchBody, who: AlarmHandler, session: WriteSession) -> AlarmDetail:
    """Send a guard or technician (new/acknowledged → dispatched)."""
    return _move(session, who, alarm_id, AlarmAction.dispatched, body.reason, dispatch_to=body.user_id)


@router.post("/{alarm_id}/resolve", response_model=AlarmDetail, responses=_CONFLICT)
def resolve_alarm(alarm_id: int, body: AlarmResolveBody, who: AlarmHandler, session: WriteSession) -> AlarmDetail:
    """The incident is over (→ resolved): the disposal note and its outcome category are required.

    Its linked work order, if still open, closes with it (through the outbox)."""
    return _move(session, who, alarm_id, AlarmAction.resolved, body.reason, outcome=body.outcome)


@router.post("/{alarm_id}/false-alarm", response_model=AlarmDetail, responses=_CONFLICT)
def mark_false_alarm(alarm_id: int, body: AlarmReasonBody, who: AlarmHandler, session: WriteSession) -> AlarmDetail:
    """Close as a false alarm; the reason is required and kept."""
    return _move(session, who, alarm_id, AlarmAction.false_alarm, body.reason)


@router.post(
    "/{alarm_id}/review",
    response_model=AlarmDetail,
    responses={**_CONFLICT, 409: ReviewRequired.doc()},
)
def review_alarm(alarm_id: int, body: AlarmReasonBody, who: AlarmHandler, session: WriteSession) -> AlarmDetail:
    """Human review of an automated alarm about a person (R-A4): confirm it (→ new) with a reason.

    To reject it, use false-alarm. Nothing happens to the person before this step.
    """
    return _move(session, who, alarm_id, AlarmAction.reviewed, body.reason)
