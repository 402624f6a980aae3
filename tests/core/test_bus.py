"""The event bus on NATS JetStream (issue 19): the outbox relay and live-page wake-ups, against the real NATS
server on 127.0.0.1:4222 (ANJU_TEST_NATS_URL). Each test uses a stream and subject prefix of its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from anju.core import bus
from anju.core import db as core_db
from anju.core.db import utcnow
from anju.core.events import DomainEvent, OutboxEvent, deliver_pending, publish, subscribe
from tests.conftest import port_open, service_unavailable
from tests.core.databases import dedicated_database

NATS_URL = os.environ.get("ANJU_TEST_NATS_URL", "nats://127.0.0.1:4222")


class BusProbe(DomainEvent):
    topic = "testbus.ProbeHappened"
    n: int


@pytest.fixture
def nats_settings(monkeypatch) -> Iterator[bus.BusSettings]:
    host, port = NATS_URL.rsplit("/", 1)[-1].rsplit(":", 1)
    if not port_open(host, int(port)):
        service_unavailable(f"NATS on {host}:{port}")
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setenv("ANJU_NATS_URL", NATS_URL)
    monkeypatch.setenv("ANJU_NATS_STREAM", f"ANJUTEST_{tag}")
    monkeypatch.setenv("ANJU_NATS_PREFIX", f"anjutest{tag}")
    bus.reset_bus_settings()
    settings = bus.bus_settings()
    yield settings

    async def drop() -> None:
        nc = await bus.connect(NATS_URL)
        with contextlib.suppress(Exception):  # a test that never created it
            await nc.jetstream().delete_stream(settings.nats_stream)
        await nc.close()

    asyncio.run(drop())
    bus.reset_bus_settings()


def _publish_and_deliver(events: list[tuple[int, int | None]]) -> list[int]:
    with core_db.transaction() as s:
        rows = [publish(s, BusProbe(n=n), compound_id=c) for n, c in events]
        s.flush()
        ids = [r.id for r in rows]
    while deliver_pending(worker_id="test"):  # no handler for the probe: each becomes "done"
        pass
    return ids


async def _stream_messages(settings: bus.BusSettings) -> list[tuple[str, dict, str]]:
    """Every message in the test's stream: (subject, body, Nats-Msg-Id)."""
    nc = await bus.connect(settings.nats_url or NATS_URL)
    js = nc.jetstream()
    info = await js.stream_info(settings.nats_stream)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(settings.nats_stream, seq)
        out.append((msg.subject, json.loads(msg.data or b"{}"), (msg.headers or {}).get("Nats-Msg-Id", "")))
    await nc.close()
    return out


async def _relay_drain(settings: bus.BusSettings) -> int:
    nc = await bus.connect(settings.nats_url or NATS_URL)
    js = nc.jetstream()
    await bus.ensure_stream(js, settings)
    n = await bus.Relay(settings).drain(js)
    await nc.close()
    return n


class TestRelay:
    def test_delivered_events_reach_the_stream_once_with_their_outbox_id(self, tmp_path, nats_settings):
        with dedicated_database(tmp_path, "bus_relay"):
            ids = _publish_and_deliver([(1, 7), (2, 8), (3, None)])
            with core_db.transaction() as s:  # a pending event (not delivered yet) waits
                pending = publish(s, BusProbe(n=4), compound_id=7)
                s.flush()
                pending_id = pending.id
            assert asyncio.run(_relay_drain(nats_settings)) == 3
            assert asyncio.run(_relay_drain(nats_settings)) == 0  # nothing is published twice
            msgs = asyncio.run(_stream_messages(nats_settings))
            p = nats_settings.nats_prefix
            assert [(subj, body["id"], msg_id) for subj, body, msg_id in msgs] == [
                (f"{p}.7.testbus.ProbeHappened", ids[0], str(ids[0])),
                (f"{p}.8.testbus.ProbeHappened", ids[1], str(ids[1])),
                (f"{p}.platform.testbus.ProbeHappened", ids[2], str(ids[2])),
            ]
            assert msgs[0][1]["payload"] == {"n": 1} and msgs[0][1]["compound_id"] == 7
            with core_db.new_session() as s:
                relayed = dict(s.execute(select(OutboxEvent.id, OutboxEvent.relayed_at)).all())
            assert all(relayed[i] is not None for i in ids) and relayed[pending_id] is None

    def test_a_relay_that_dies_before_marking_publishes_again_and_jetstream_drops_the_repeat(
        self, tmp_path, nats_settings
    ):
        with dedicated_database(tmp_path, "bus_repeat"):
            ids = _publish_and_deliver([(1, 7), (2, 7)])
            assert asyncio.run(_relay_drain(nats_settings)) == 2
            with core_db.transaction() as s:  # as if the relay crashed after the ack, before its commit
                s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(ids)).values(relayed_at=None))
            assert asyncio.run(_relay_drain(nats_settings)) == 2  # published again...
            msgs = asyncio.run(_stream_messages(nats_settings))
            assert [m[1]["id"] for m in msgs] == ids  # ...and stored once (Nats-Msg-Id de-duplication)

    def test_nothing_is_lost_while_nats_is_down(self, tmp_path, nats_settings):
        with dedicated_database(tmp_path, "bus_down"):
            ids = _publish_and_deliver([(1, 7), (2, 9)])
            down = nats_settings.model_copy(update={"nats_url": "nats://127.0.0.1:1"})  # nothing listens there

            async def run_down() -> None:
                relay = bus.Relay(down)

                async def once_tried() -> bool:
                    return True

                task = asyncio.create_task(relay.run(until=once_tried))
                await asyncio.sleep(0)
                relay.stop()
                await asyncio.wait_for(task, 30)

            asyncio.run(run_down())
            with core_db.new_session() as s:
                assert s.execute(select(OutboxEvent.relayed_at).where(OutboxEvent.id.in_(ids))).scalars().all() == [
                    None,
                    None,
                ]
            more = _publish_and_deliver([(3, 7)])

            async def run_up() -> None:
                relay = bus.Relay(nats_settings)

                async def caught_up() -> bool:
                    return True  # asked only once a batch came back empty

                await asyncio.wait_for(relay.run(until=caught_up), 60)
                assert relay.published == 3

            asyncio.run(run_up())  # the relay catches up from the outbox
            msgs = asyncio.run(_stream_messages(nats_settings))
            assert [m[1]["id"] for m in msgs] == ids + more


class _Request:
    """The part of a Starlette request poll_events uses: a client that stays connected."""

    async def is_disconnected(self) -> bool:
        return False


class TestLivePages:
    def test_a_live_page_wakes_on_its_compounds_event_and_not_on_anothers(self, tmp_path, nats_settings):
        """With the bus, a stream polling once an hour still answers a relayed event of its compound at once."""
        from anju.web.sse import poll_events

        with dedicated_database(tmp_path, "bus_page"):
            polls: list[int] = []

            def poll(cursor: int) -> tuple[int, list[str]]:
                with core_db.new_session() as s:
                    top = s.execute(
                        select(OutboxEvent.id).where(OutboxEvent.compound_id == 7).order_by(OutboxEvent.id.desc())
                    ).first()
                polls.append(cursor)
                now = top[0] if top else 0
                return now, ([f"data: {now}\n\n"] if now != cursor else [])

            async def scenario() -> list[str]:
                stream = poll_events(_Request(), poll, 0, every=3600, max_seconds=3600, ping_every=3600, wake_on=[7])
                assert (await stream.__anext__()).startswith("retry:")
                nxt = asyncio.ensure_future(stream.__anext__())  # polls once, finds nothing new, waits
                await asyncio.sleep(0.5)
                assert not nxt.done() and len(polls) == 1
                await asyncio.to_thread(_publish_and_deliver, [(5, 9)])  # another compound's event
                await _relay_drain(nats_settings)
                await asyncio.sleep(0.5)
                assert not nxt.done() and len(polls) == 1  # not woken by compound 9
                ids = await asyncio.to_thread(_publish_and_deliver, [(6, 7)])
                await _relay_drain(nats_settings)
                chunk = await asyncio.wait_for(nxt, 30)  # woken by compound 7's event (a guard, not a timing)
                await stream.aclose()
                return [chunk, str(ids[0])]

            try:
                chunk, new_id = asyncio.run(asyncio.wait_for(scenario(), 120))  # a hang fails
            finally:
                bus._page_connection.clear()
            assert chunk == f"data: {new_id}\n\n"

    def test_without_the_bus_a_live_page_polls(self, monkeypatch):
        from anju.web.sse import poll_events

        monkeypatch.delenv("ANJU_NATS_URL", raising=False)
        bus.reset_bus_settings()
        polls: list[int] = []

        def poll(cursor: int) -> tuple[int, list[str]]:
            polls.append(cursor)
            return cursor + 1, [f"data: {cursor}\n\n"]

        async def scenario() -> list[str]:
            stream = poll_events(_Request(), poll, 0, every=0.01, max_seconds=3600, wake_on=[7])
            out = [await stream.__anext__() for _ in range(4)]
            await stream.aclose()
            return out

        assert asyncio.run(scenario())[1:] == ["data: 0\n\n", "data: 1\n\n", "data: 2\n\n"]


class BusCounted(DomainEvent):
    topic = "testbus.Counted"
    n: int


RAN: list[tuple[str, int]] = []  # (handler, n) for every run that committed or failed
FAIL_ONCE: set[int] = set()  # ns whose "fragile" handler fails on its first run


@subscribe(BusCounted)
def _steady(session, event: BusCounted) -> None:
    RAN.append(("steady", event.n))


@subscribe(BusCounted)
def _fragile(session, event: BusCounted) -> None:
    RAN.append(("fragile", event.n))
    if event.n in FAIL_ONCE:
        FAIL_ONCE.discard(event.n)
        raise RuntimeError("first try fails")


def _publish_counted(ns: list[int]) -> list[int]:
    with core_db.transaction() as s:
        rows = [publish(s, BusCounted(n=n), compound_id=7) for n in ns]
        s.flush()
        return [r.id for r in rows]


def _statuses(ids: list[int]) -> list[str]:
    with core_db.new_session() as s:
        got = dict(s.execute(select(OutboxEvent.id, OutboxEvent.status).where(OutboxEvent.id.in_(ids))).all())
    return [got[i] for i in ids]


class TestConsumer:
    def test_handlers_run_once_from_the_bus_even_when_every_message_comes_twice(
        self, tmp_path, nats_settings, monkeypatch
    ):
        """A consumer that ran the handlers and died before its acks: the redelivered messages re-run nothing."""
        from nats.aio.msg import Msg

        settings = nats_settings.model_copy(update={"bus_delivery": True})
        RAN.clear()
        with dedicated_database(tmp_path, "bus_consume"):
            ids = _publish_counted([1, 2, 3])
            assert _statuses(ids) == ["pending"] * 3  # nobody polled: the bus delivers them

            async def scenario() -> tuple[int, int]:
                nc = await bus.connect(NATS_URL)
                js = nc.jetstream()
                await bus.ensure_stream(js, settings)
                assert await bus.Relay(settings).drain(js) == 3  # committed events go on the bus at once
                first = bus.Consumer(settings, worker_id="c1", idle_seconds=0.5)
                sub = await first.subscribe(js)
                real_ack = Msg.ack

                async def lost_ack(self: Msg) -> None:  # the consumer dies after the handlers, before the ack
                    await self.nak()

                monkeypatch.setattr(Msg, "ack", lost_ack)
                await first.consume_once(sub)
                monkeypatch.setattr(Msg, "ack", real_ack)
                second = bus.Consumer(settings, worker_id="c2", idle_seconds=0.5)
                again = await second.drain(await second.subscribe(js))
                await nc.close()
                return again, second.acked

            again, acked = asyncio.run(asyncio.wait_for(scenario(), 60))
            assert again == acked == 3  # every message came back...
            assert sorted(RAN) == sorted([(h, n) for h in ("steady", "fragile") for n in (1, 2, 3)])  # ...ran once
            assert _statuses(ids) == ["done"] * 3

    def test_a_failed_handler_is_retried_after_the_backoff_and_the_others_are_not_rerun(self, tmp_path):
        from anju.core.events import deliver_event

        RAN.clear()
        with dedicated_database(tmp_path, "bus_retry"):
            FAIL_ONCE.add(5)
            (event_id,) = _publish_counted([5])
            verdict, delay = deliver_event(event_id, worker_id="c1")
            assert verdict == "retry" and delay >= 1  # nak'ed with the outbox's backoff
            assert deliver_event(event_id, worker_id="c2")[0] == "retry"  # not due yet: nothing runs
            with core_db.transaction() as s:  # the backoff has passed
                s.execute(update(OutboxEvent).where(OutboxEvent.id == event_id).values(available_at=utcnow()))
            assert deliver_event(event_id, worker_id="c2") == ("ack", 0.0)
            assert deliver_event(event_id, worker_id="c3") == ("ack", 0.0)  # a late duplicate message
            assert RAN == [("steady", 5), ("fragile", 5), ("fragile", 5)]

    def test_an_event_claimed_by_the_poller_is_left_to_it(self, tmp_path):
        from anju.core.events import deliver_event

        with dedicated_database(tmp_path, "bus_claimed"):
            (event_id,) = _publish_counted([8])
            with core_db.transaction() as s:
                s.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id == event_id)
                    .values(locked_by="poller", locked_until=utcnow() + timedelta(seconds=60))
                )
            assert deliver_event(event_id, worker_id="c1") == ("retry", 60.0)
            assert _statuses([event_id]) == ["pending"]

    def test_with_bus_delivery_the_poller_only_sweeps_old_events(self, tmp_path):
        with dedicated_database(tmp_path, "bus_sweep"):
            (fresh,) = _publish_counted([9])
            assert deliver_pending(worker_id="w", min_age=timedelta(seconds=120)) == 0
            assert _statuses([fresh]) == ["pending"]
            with core_db.transaction() as s:  # the bus lost it (relay down for long): the sweep takes it
                s.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id == fresh)
                    .values(created_at=utcnow() - timedelta(seconds=121))
                )
            assert deliver_pending(worker_id="w", min_age=timedelta(seconds=120)) == 1
            assert _statuses([fresh]) == ["done"]


@pytest.mark.db_agnostic
def test_with_bus_delivery_the_relays_idle_wait_is_short_and_a_setting(monkeypatch):
    """Issue 19 (Measure, bench/bench_bus.py): with bus delivery every handler waits for the relay's next read of the
    outbox, so the relay's idle wait is the bus path's latency floor; it was a fixed 0.5 s no setting could lower."""
    monkeypatch.setenv("ANJU_NATS_URL", NATS_URL)
    monkeypatch.delenv("ANJU_RELAY_IDLE_S", raising=False)
    try:
        monkeypatch.setenv("ANJU_BUS_DELIVERY", "1")
        bus.reset_bus_settings()
        assert bus.Relay().idle_seconds <= 0.05
        monkeypatch.setenv("ANJU_BUS_DELIVERY", "0")  # the relay only wakes live pages: unchanged
        bus.reset_bus_settings()
        assert bus.Relay().idle_seconds == 0.5
        monkeypatch.setenv("ANJU_RELAY_IDLE_S", "0.2")
        bus.reset_bus_settings()
        assert bus.Relay().idle_seconds == 0.2
        assert bus.Relay(idle_seconds=1.0).idle_seconds == 1.0
    finally:
        bus.reset_bus_settings()
