"""Terminal API (device key auth): decisions, offline replay, allow-list sync."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, File, Form, Query, UploadFile
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from anju.access.auth import CurrentTerminal, DeviceHeaders, current_terminal
from anju.access.config import access_settings
from anju.access.decision_service import decision_service
from anju.access.exceptions import DecisionServerBusy
from anju.access.models import Terminal
from anju.access.schemas import DecisionRead, DecisionRequest, OfflineBatch, ReplayResult, SyncRead
from anju.access.sync_service import terminal_sync_service
from anju.core.db import new_session, utcnow
from anju.core.deps import WriteSession

router = APIRouter(prefix="/terminals", tags=["terminals"])
MAX_FRAME = 4 * 1024 * 1024


_write_turn = threading.Lock()
T = TypeVar("T")


def in_write_turn(session: Session, work: Callable[[], T]) -> T:
    """Run a terminal's write and commit it. On SQLite, one such write at a time in this process,
    and none waits longer than `sqlite_write_wait_seconds` for the database: past that the answer
    is 503 busy (the terminal decides from its offline list) instead of a queue that ends in pool
    and lock timeouts.

    SQLite has one writer. Its busy handler polls with growing sleeps, so dozens of threads
    contending through it let only a few decisions a second through (issue 20 item 14a); a lock
    in the process hands the turn over at once, and the shorter busy timeout bounds the wait for
    another process's writer (the worker). PostgreSQL needs none of this.
    """
    if session.get_bind().dialect.name != "sqlite":
        return work()  # the request boundary commits
    wait = access_settings().sqlite_write_wait_seconds
    if not _write_turn.acquire(timeout=wait):
        raise DecisionServerBusy()
    try:
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi is not None
        previous = int(dbapi.execute("PRAGMA busy_timeout").fetchone()[0])
        dbapi.execute(f"PRAGMA busy_timeout = {max(1, int(wait * 1000))}")
        try:
            result = work()
            session.flush()
        except OperationalError as e:
            dbapi.execute(f"PRAGMA busy_timeout = {previous}")  # before the connection goes back to the pool
            if "locked" not in str(e) and "busy" not in str(e):
                raise
            session.rollback()
            raise DecisionServerBusy() from e
        dbapi.execute(f"PRAGMA busy_timeout = {previous}")
        session.commit()
        return result
    finally:
        _write_turn.release()


def terminal_write(key: str, secret: str, work: Callable[[Session, Terminal], T]) -> T:
    """A terminal's write as one unit in one worker thread: authenticate, do the work, commit (the request
    boundary), on a session of its own that is closed before the thread is given back.

    The dependency chain (session, write session, terminal) ran each step in a thread of its own while the
    session held its connection between them; with more requests in flight than pooled connections, threads
    waiting for a connection could take every thread the holders needed to finish, and all waited out the
    pool timeout (seen with terminals reconnecting under load, issue 19). Here a thread holding a connection
    never waits for another thread, and a decision costs one thread hop instead of five."""
    with new_session() as session:
        try:
            terminal = current_terminal(session, key, secret)
            out = in_write_turn(session, lambda: work(session, terminal))
            session.commit()
            return out
        except BaseException:
            session.rollback()
            raise


@router.post("/decisions", response_model=DecisionRead, responses={503: DecisionServerBusy.doc()})
async def decide(body: DecisionRequest, device: DeviceHeaders) -> DecisionRead:
    """Allow or deny a card, PIN, QR or face embedding at one of the terminal's doors; always logged.

    A PIN is sent as typed after the room: `"3-1-0802#482916"` (or `"0802#482916"` at a door of that
    unit); at a unit door or lift the PIN alone is enough. Wrong PINs are limited per door and per
    room/unit (`too_many_attempts`). 503 `busy` when the (SQLite) database cannot take the attempt in
    time: decide from the offline list."""
    return await run_in_threadpool(
        terminal_write,
        device[0],
        device[1],
        lambda s, t: decision_service.decide(s, terminal=t, req=body, now=utcnow()),
    )


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


@router.post("/records", response_model=ReplayResult, status_code=202, responses={503: DecisionServerBusy.doc()})
async def replay_records(body: OfflineBatch, device: DeviceHeaders) -> ReplayResult:
    """Upload records decided while offline; repeats are counted as duplicates, never stored twice."""
    return await run_in_threadpool(
        terminal_write,
        device[0],
        device[1],
        lambda s, t: decision_service.replay(s, terminal=t, batch=body, now=utcnow()),
    )


@router.get("/sync", response_model=SyncRead)
def sync(
    terminal: CurrentTerminal,
    session: WriteSession,
    since: int = Query(0, ge=0),
    limit: int = Query(2000, ge=1, le=10000),
) -> dict[str, Any]:
    """Changes to this terminal's allow-list after cursor `since` (0 = the full list), tombstones included."""
    return terminal_sync_service.changes(session, terminal=terminal, since=since, limit=limit)
