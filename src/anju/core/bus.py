"""The event bus on NATS JetStream (issue 19): an outbox relay, and wake-ups for live pages.

The outbox in the database stays the source of truth (`anju.core.events`): the worker delivers each event to
its handlers as before. `anju relay` then publishes every *delivered* event to a JetStream stream, on the
subject `<prefix>.<compound id | platform>.<domain>.<Event>` (the outbox topic is "<domain>.<Event>"), with the
outbox id as `Nats-Msg-Id`, and marks it `relayed_at` only after JetStream acknowledged it. So delivery on the
bus is at-least-once (a relay that dies between the ack and its commit publishes again) and JetStream drops
the repeat within its duplicate window; when NATS is down nothing is marked and the relay catches up from the
outbox when it is back.

Live pages (`anju.web.sse.poll_events(..., wake_on=[compound ids])`) subscribe to their compounds' subjects when
ANJU_NATS_URL is set and re-read the database when an event arrives, instead of polling it every second;
without ANJU_NATS_URL (the embedded default, SQLite, the demo) they poll as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select, update

from anju.core.db import new_session, utcnow
from anju.core.events import OutboxEvent

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS
    from nats.js.client import JetStreamContext

log = logging.getLogger("anju.bus")


class BusSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_", extra="ignore")

    nats_url: str | None = None  # e.g. nats://127.0.0.1:4222 (several, comma-separated, for a cluster)
    nats_stream: str = "ANJU"  # the JetStream stream holding every subject under nats_prefix
    nats_prefix: str = "anju"  # first subject token
    nats_duplicate_window_s: int = 600  # JetStream drops a repeated Nats-Msg-Id within this window
    nats_max_age_days: int = 7  # the stream keeps messages this long (the outbox is the record)
    # Copies of the stream in a NATS cluster (3: one node may die without losing an acknowledged event; a
    # publish is acknowledged once a majority of the replicas stored it). 1 for a single server.
    nats_replicas: int = 1
    # Handlers consume from the bus (`anju consume`): the relay publishes committed events as soon as they exist
    # (not only delivered ones) and the worker's poller only sweeps up events older than bus_sweep_after_s.
    bus_delivery: bool = False
    bus_sweep_after_s: int = 120
    # How long the relay waits after finding nothing to publish before it reads the outbox again. With bus delivery
    # it is on every handler's path (a committed event waits for the relay's next read), so it defaults to 0.05 s
    # there (bench/bench_bus.py: 0.5 s put p50 ~0.3 s of relay wait before every handler); 0.5 s otherwise.
    relay_idle_s: float | None = None
    nats_durable: str = "anju-handlers"  # the durable consumer every `anju consume` process shares


@lru_cache
def bus_settings() -> BusSettings:
    return BusSettings()


def reset_bus_settings() -> None:
    bus_settings.cache_clear()


_TOKEN = re.compile(r"[^A-Za-z0-9_\-]")


def subject_for(prefix: str, compound_id: int | None, topic: str) -> str:
    """`<prefix>.<compound>.<domain>.<Event>`; a topic token that is not [A-Za-z0-9_-] is made so."""
    tokens = [_TOKEN.sub("_", t) or "_" for t in topic.split(".")]
    return ".".join([prefix, "platform" if compound_id is None else str(compound_id), *tokens])


def compound_subject(prefix: str, compound_id: int | None) -> str:
    """Every event of one compound (or of the platform)."""
    return f"{prefix}.{'platform' if compound_id is None else compound_id}.>"


async def _quiet(e: Exception) -> None:
    log.debug("nats: %s", e)


async def connect(url: str, *, within: float = 5.0, **options: Any) -> NATS:
    """A NATS connection; gives up after `within` seconds when no server answers (nats-py would retry forever
    with unlimited reconnects). Connection errors are logged at debug level; callers say what they do."""
    import nats

    options.setdefault("error_cb", _quiet)
    return await asyncio.wait_for(nats.connect(servers=[u.strip() for u in url.split(",")], **options), within)


async def ensure_stream(js: JetStreamContext, settings: BusSettings) -> None:
    """Create the stream if it does not exist (file storage; duplicate window, age and replicas from the settings)."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(settings.nats_stream)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        StreamConfig(
            name=settings.nats_stream,
            subjects=[f"{settings.nats_prefix}.>"],
            duplicate_window=float(settings.nats_duplicate_window_s),
            max_age=float(timedelta(days=settings.nats_max_age_days).total_seconds()),
            num_replicas=settings.nats_replicas,
        )
    )


@dataclass(frozen=True)
class Relayable:
    id: int
    topic: str
    compound_id: int | None
    payload: dict[str, Any]
    created_at: str


def unrelayed(limit: int, *, committed: bool = False) -> list[Relayable]:
    """Delivered events (`committed`: every committed event, delivered or not) not yet on the bus, oldest first."""
    statuses = ["pending", "done"] if committed else ["done"]
    with new_session() as s:
        rows = s.execute(
            select(
                OutboxEvent.id,
                OutboxEvent.topic,
                OutboxEvent.compound_id,
                OutboxEvent.payload,
                OutboxEvent.created_at,
            )
            .where(OutboxEvent.status.in_(statuses), OutboxEvent.relayed_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
        ).all()
    return [Relayable(r.id, r.topic, r.compound_id, r.payload, r.created_at.isoformat()) for r in rows]


def mark_relayed(ids: Sequence[int]) -> None:
    if not ids:
        return
    with new_session() as s:
        s.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(ids), OutboxEvent.relayed_at.is_(None))
            .values(relayed_at=utcnow())
        )
        s.commit()


def message(event: Relayable) -> bytes:
    body = {
        "id": event.id,
        "topic": event.topic,
        "compound_id": event.compound_id,
        "created_at": event.created_at,
        "payload": event.payload,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


async def publish_events(js: JetStreamContext, prefix: str, events: Sequence[Relayable], *, stream: str) -> list[int]:
    """Publish the events (concurrently, in order on the connection); the ids JetStream acknowledged."""

    async def one(e: Relayable) -> int:
        await js.publish(
            subject_for(prefix, e.compound_id, e.topic),
            message(e),
            stream=stream,
            headers={"Nats-Msg-Id": str(e.id)},
        )
        return e.id

    results = await asyncio.gather(*(one(e) for e in events), return_exceptions=True)
    acked = [r for r in results if isinstance(r, int)]
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        log.warning("relay: %d of %d events not acknowledged: %s", len(failed), len(events), failed[0])
    return acked


async def run_connected(
    settings: BusSettings,
    stop: asyncio.Event,
    label: str,
    session: Callable[[JetStreamContext], Awaitable[None]],
) -> None:
    """Run `session` on a fresh JetStream connection until `stop`; on any failure close, wait 2 s, reconnect.

    The client's own reconnects are off: after a failure the session starts again from the database's state.
    """
    assert settings.nats_url
    while not stop.is_set():
        nc = None
        try:
            nc = await connect(settings.nats_url, connect_timeout=2, allow_reconnect=False)
            js = nc.jetstream(timeout=5)
            await ensure_stream(js, settings)
            await session(js)
        except Exception as e:  # noqa: BLE001 - the caller's session says what survives a failure
            log.warning("%s: %s; retrying in 2 s", label, e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 2)
        finally:
            if nc is not None and not nc.is_closed:
                await nc.close()


class Relay:
    """`anju relay`: publish delivered outbox events to JetStream until stopped; reconnects and catches up."""

    def __init__(
        self, settings: BusSettings | None = None, *, batch: int = 500, idle_seconds: float | None = None
    ) -> None:
        self.settings = settings or bus_settings()
        if not self.settings.nats_url:
            raise ValueError("ANJU_NATS_URL is not set")
        self.batch = batch
        if idle_seconds is None:
            idle_seconds = self.settings.relay_idle_s
        if idle_seconds is None:
            idle_seconds = 0.05 if self.settings.bus_delivery else 0.5
        self.idle_seconds = idle_seconds
        self._stop = asyncio.Event()
        self.published = 0

    def stop(self) -> None:
        self._stop.set()

    async def relay_once(self, js: JetStreamContext) -> int:
        """One batch: read unrelayed delivered events, publish them, mark the acknowledged ones."""
        events = await asyncio.to_thread(unrelayed, self.batch, committed=self.settings.bus_delivery)
        if not events:
            return 0
        acked = await publish_events(js, self.settings.nats_prefix, events, stream=self.settings.nats_stream)
        await asyncio.to_thread(mark_relayed, acked)
        self.published += len(acked)
        if len(acked) < len(events):
            raise ConnectionError("some events were not acknowledged")
        return len(acked)

    async def drain(self, js: JetStreamContext) -> int:
        """Relay batches until the outbox has nothing delivered left to publish."""
        total = 0
        while n := await self.relay_once(js):
            total += n
        return total

    async def run(self, until: Callable[[], Awaitable[bool]] | None = None) -> None:
        async def session(js: JetStreamContext) -> None:
            log.info("relay connected to %s, stream %s", self.settings.nats_url, self.settings.nats_stream)
            while not self._stop.is_set():
                if not await self.relay_once(js):
                    if until is not None and await until():
                        self._stop.set()
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.idle_seconds)

        # NATS down or a database error: the outbox keeps the events, and the next connection catches up.
        await run_connected(self.settings, self._stop, "relay", session)


# --- handlers consuming from the bus ----------------------------------------------------------------------


def event_id_of(msg: Any) -> int | None:
    """The outbox id a bus message carries (its Nats-Msg-Id, else the body's id); None if it carries none."""
    raw = (msg.headers or {}).get("Nats-Msg-Id")
    if raw is None:
        try:
            raw = json.loads(msg.data or b"{}").get("id")
        except (ValueError, AttributeError):
            return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


class Consumer:
    """`anju consume`: deliver events to their handlers from a JetStream durable pull consumer.

    Every `anju consume` process binds the same durable consumer (settings.nats_durable), so they split the
    stream between them. A message names an outbox id; `anju.core.events.deliver_event` runs that event's
    handlers under the outbox's lease and its (event, handler) record, so a redelivered message (an ack lost,
    a consumer killed mid-batch) re-runs no handler: exactly once in effect. The message is acknowledged after
    the handlers committed, nak'ed with the outbox's backoff when one failed.
    """

    def __init__(
        self,
        settings: BusSettings | None = None,
        *,
        worker_id: str = "consumer",
        batch: int = 50,
        idle_seconds: float = 1.0,
        ack_wait_s: float = 60.0,
        max_attempts: int = 10,
    ) -> None:
        self.settings = settings or bus_settings()
        if not self.settings.nats_url:
            raise ValueError("ANJU_NATS_URL is not set")
        self.worker_id, self.batch, self.idle_seconds = worker_id, batch, idle_seconds
        self.ack_wait_s, self.max_attempts = ack_wait_s, max_attempts
        self._stop = asyncio.Event()
        self.acked = 0
        self.retried = 0

    def stop(self) -> None:
        self._stop.set()

    async def subscribe(self, js: JetStreamContext) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_s,
            deliver_policy=DeliverPolicy.ALL,
            max_deliver=-1,  # the outbox decides when an event is dead, not the bus
        )
        return await js.pull_subscribe(
            f"{self.settings.nats_prefix}.>",
            durable=self.settings.nats_durable,
            stream=self.settings.nats_stream,
            config=config,
        )

    async def consume_once(self, sub: Any) -> int:
        """One fetch: deliver each message's event, ack or nak it; returns how many messages were handled."""
        from nats.errors import TimeoutError as NatsTimeout

        try:
            msgs = await sub.fetch(self.batch, timeout=self.idle_seconds)
        except (NatsTimeout, TimeoutError):
            return 0
        from anju.core.events import deliver_event

        for msg in msgs:
            event_id = event_id_of(msg)
            if event_id is None:
                log.warning("consume: a message on %s names no outbox event; dropped", msg.subject)
                await msg.term()
                continue
            verdict, delay = await asyncio.to_thread(
                deliver_event, event_id, worker_id=self.worker_id, max_attempts=self.max_attempts
            )
            if verdict == "ack":
                await msg.ack()
                self.acked += 1
            else:
                await msg.nak(delay=delay)
                self.retried += 1
        return len(msgs)

    async def drain(self, sub: Any) -> int:
        total = 0
        while n := await self.consume_once(sub):
            total += n
        return total

    async def run(self, until: Callable[[], Awaitable[bool]] | None = None) -> None:
        async def session(js: JetStreamContext) -> None:
            sub = await self.subscribe(js)
            log.info(
                "consumer %s bound to %s/%s", self.worker_id, self.settings.nats_stream, self.settings.nats_durable
            )
            while not self._stop.is_set():
                if not await self.consume_once(sub) and until is not None and await until():
                    self._stop.set()

        # NATS down or a database error: unacknowledged messages come back to this or another consumer.
        await run_connected(self.settings, self._stop, "consumer", session)


# --- live pages -------------------------------------------------------------------------------------------

_page_connection: dict[int, Any] = {}  # one NATS connection per event loop of the web process
_page_down_until: dict[int, float] = {}


async def page_connection() -> NATS | None:
    """The web process's shared NATS connection (None without ANJU_NATS_URL, or while NATS is unreachable:
    the caller then polls; another try is made after 30 s)."""
    settings = bus_settings()
    if not settings.nats_url:
        return None
    loop = asyncio.get_running_loop()
    key = id(loop)
    nc = _page_connection.get(key)
    if nc is not None and nc.is_connected:
        return nc
    if loop.time() < _page_down_until.get(key, 0):
        return None
    try:
        nc = await connect(settings.nats_url, connect_timeout=2, allow_reconnect=True, max_reconnect_attempts=-1)
    except Exception as e:  # noqa: BLE001 - any failure means: poll instead
        log.warning("live pages: NATS unreachable (%s); polling the database", e)
        _page_down_until[key] = loop.time() + 30
        return None
    _page_connection[key] = nc
    return nc


class Wakeup:
    """An asyncio.Event set by any bus message on the compounds' subjects (a subscription, closed by `close`)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self._subs: list[Any] = []

    @classmethod
    async def open(cls, compound_ids: Sequence[int | None]) -> Wakeup | None:
        nc = await page_connection()
        if nc is None:
            return None
        w = cls()

        async def on_message(_msg: Any) -> None:
            w.event.set()

        prefix = bus_settings().nats_prefix
        try:
            for c in compound_ids:
                w._subs.append(await nc.subscribe(compound_subject(prefix, c), cb=on_message))
        except Exception as e:  # noqa: BLE001
            log.warning("live pages: cannot subscribe (%s); polling the database", e)
            await w.close()
            return None
        return w

    async def wait(self, timeout: float) -> bool:
        """True when an event arrived (within `timeout` seconds); clears it for the next wait."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            return False
        self.event.clear()
        return True

    async def close(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await sub.unsubscribe()
        self._subs.clear()
