"""SQLite under load: a request that meets "database is locked" is run again, holding the write lock.

SQLite has one writer. The busy timeout (see `core.db`) makes a writer wait for the lock, but
one case never waits: a transaction that has read, then wants to write after another writer
committed, gets SQLITE_BUSY at once (its snapshot is stale; waiting cannot help). A roster
import reads the compound before it writes, so with the simulator writing beside it the import
failed with a 500 "database is locked".

The request boundary retries: the middleware keeps the request body, and when the app raises a
lock error before any response byte was sent it runs the request again, with a flag that makes
the request session open its transaction with BEGIN IMMEDIATE (take the write lock first, waiting
up to the busy timeout; no stale snapshot is then possible). The failed attempt's transaction was
rolled back, so the retry starts from the real state and the page shows the real outcome.
PostgreSQL is untouched.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("anju.db")

IMMEDIATE_KEY = "anju.sqlite_immediate"
ATTEMPTS = 3


def is_lock_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database table is locked" / busy, from any layer."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OperationalError) or type(e).__name__ == "OperationalError":
            text = str(e).lower()
            if "is locked" in text or "database is busy" in text:
                return True
        e = e.__cause__ or e.__context__
    return False


def begin_immediate(session: Session) -> None:
    """Open the session's SQLite transaction with BEGIN IMMEDIATE (a no-op elsewhere or once begun)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    dbapi = session.connection().connection.dbapi_connection
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


class SQLiteLockRetry:
    """Run an HTTP request again (up to ATTEMPTS times) when it fails on a SQLite lock before responding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        body: list[Message] = []
        while True:
            message = await receive()
            body.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        for attempt in range(1, ATTEMPTS + 1):
            started = False
            pending = list(body)

            async def replay(pending: list[Message] = pending) -> Message:
                return pending.pop(0) if pending else await receive()

            async def watch(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            run: dict[str, Any] = dict(scope)
            if attempt > 1:
                run[IMMEDIATE_KEY] = True
                run["state"] = dict(scope.get("state") or {})
            try:
                await self.app(run, replay, watch)
                return
            except Exception as exc:
                if started or attempt == ATTEMPTS or not is_lock_error(exc):
                    raise
                log.warning(
                    "SQLite busy on %s %s (attempt %d); running it again with the write lock taken first",
                    scope.get("method"),
                    scope.get("path"),
                    attempt,
                )
