"""Server-sent events for pages: one polling loop that reads the database in a worker thread (woken by the
event bus when it is configured, see `poll_events`).

An open stream must not hold one of the server's few worker threads, and an `async def` must never touch
the database itself: each poll runs in the thread pool, the waiting happens on the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse

from anju.core import bus
from anju.core.text import resume_id

C = TypeVar("C")
RETRY_MS = 2000


def event(data: str, *, id: int | None = None, name: str | None = None) -> str:
    """One SSE message; a multi-line payload becomes several data lines."""
    head = (f"id: {id}\n" if id is not None else "") + (f"event: {name}\n" if name else "")
    lines = data.strip().splitlines() or [""]
    return head + "".join(f"data: {line}\n" for line in lines) + "\n"


def resume_from(request: Request, fallback: int | None) -> int | None:
    """Where a reconnecting EventSource stopped (a valid Last-Event-ID), else `fallback`."""
    last = resume_id(request.headers.get("last-event-id"))
    return last if last is not None else fallback


async def poll_events(
    request: Request,
    poll: Callable[[C], tuple[C, Iterable[str]]],
    cursor: C,
    *,
    every: float,
    max_seconds: float,
    ping_every: float = 15.0,
    wake_on: Sequence[int | None] | None = None,
) -> AsyncIterator[str]:
    """Yield what `poll(cursor)` returns, polling every `every` seconds in a thread, until the client leaves or
    `max_seconds` pass (the browser reconnects by itself); a comment line keeps idle proxies from closing it.

    `wake_on` (compound ids): with the event bus configured (ANJU_NATS_URL, anju.core.bus) the stream polls
    when one of those compounds' events arrives instead of every `every` seconds (and at least every
    `ping_every` seconds, in case the relay is behind); without the bus it polls as above."""
    yield f"retry: {RETRY_MS}\n\n"
    end = time.monotonic() + max_seconds
    ping = time.monotonic() + ping_every
    wakeup = await bus.Wakeup.open(wake_on) if wake_on is not None else None
    try:
        while True:
            cursor, chunks = await run_in_threadpool(poll, cursor)
            for chunk in chunks:
                yield chunk
            now = time.monotonic()
            if now >= end or await request.is_disconnected():
                return
            if now >= ping:
                ping = now + ping_every
                yield ": ping\n\n"
            if wakeup is None:
                await asyncio.sleep(every)
            else:
                await wakeup.wait(max(0.0, min(ping, end) - time.monotonic()))
    finally:
        if wakeup is not None:
            await wakeup.close()


def event_stream(chunks: AsyncIterator[str]) -> StreamingResponse:
    """The streaming response for an SSE generator (never stored: pages hold personal data; no proxy buffering)."""
    return StreamingResponse(
        chunks, media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
