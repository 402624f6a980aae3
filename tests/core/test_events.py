"""The transactional outbox (R7): events exist only if their transaction commits, each
subscriber runs once per event, failures are retried with backoff and end dead."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from anju.core import db as core_db
from anju.core import events
from anju.core.db import utcnow
from anju.core.events import DomainEvent, EventHandled, OutboxEvent, deliver_pending, publish, subscribe
from tests.core.databases import dedicated_database
from tests.core.job_race import race


class ThingHappened(DomainEvent):
    topic = "test.ThingHappened"
    n: int


@pytest.fixture
def subscribers() -> Iterator[Callable[..., Any]]:
    """Register test-only subscribers to ThingHappened; removed afterwards."""
    saved = list(events._subscribers.get(ThingHappened.topic, []))

    def register(fn: Callable[..., None]) -> Callable[..., None]:
        return subscribe(ThingHappened)(fn)

    yield register
    events._subscribers[ThingHappened.topic] = saved
    if not saved:
        events._subscribers.pop(ThingHappened.topic, None)


@pytest.fixture
def quiet_outbox(session) -> None:
    """Park events already pending in the shared database (the demo publishes some)."""
    session.execute(
        update(OutboxEvent).where(OutboxEvent.status == "pending").values(available_at=utcnow() + timedelta(days=1))
    )
    session.flush()


def _publish_committed(n: int = 1) -> list[int]:
    """Publish events in their own committed transaction (the app's boundary)."""
    with core_db.transaction() as s:
        rows = [publish(s, ThingHappened(n=k)) for k in range(n)]
        s.flush()
        return [r.id for r in rows]


def _deliver_all(worker_id: str = "test", **kw: Any) -> int:
    total = 0
    while n := deliver_pending(worker_id=worker_id, **kw):
        total += n
    return total


class TestPublish:
    def test_rolled_back_transaction_leaves_no_event(self, session):
        s = core_db.new_session()
        publish(s, ThingHappened(n=1))
        s.flush()
        assert s.execute(select(func.count()).where(OutboxEvent.topic == ThingHappened.topic)).scalar_one() == 1
        s.rollback()
        s.close()
        assert session.execute(select(func.count()).where(OutboxEvent.topic == ThingHappened.topic)).scalar_one() == 0

    def test_failing_boundary_leaves_no_event(self, session):
        with pytest.raises(RuntimeError), core_db.transaction() as s:
            publish(s, ThingHappened(n=1))
            s.flush()
            raise RuntimeError("the change failed")
        assert session.execute(select(func.count()).where(OutboxEvent.topic == ThingHappened.topic)).scalar_one() == 0

    def test_payload_and_topic_are_stored(self, session):
        [event_id] = _publish_committed()
        ev = session.get(OutboxEvent, event_id)
        assert ev.topic == "test.ThingHappened" and ev.payload == {"n": 0} and ev.status == "pending"


@pytest.mark.usefixtures("quiet_outbox")
class TestDeliver:
    def test_committed_event_reaches_each_subscriber_once(self, session, subscribers):
        calls: list[tuple[str, int]] = []

        @subscribers
        def first(s, e: ThingHappened) -> None:
            calls.append(("first", e.n))

        @subscribers
        def second(s, e: ThingHappened) -> None:
            calls.append(("second", e.n))

        [event_id] = _publish_committed()
        assert _deliver_all() == 1
        assert sorted(calls) == [("first", 0), ("second", 0)]
        assert _deliver_all() == 0
        assert len(calls) == 2
        ev = session.get(OutboxEvent, event_id)
        session.refresh(ev)
        assert ev.status == "done" and ev.attempts == 1 and ev.delivered_at is not None
        handled = session.execute(select(EventHandled.handler).where(EventHandled.event_id == event_id)).scalars()
        assert sorted(h.rsplit(".", 1)[-1] for h in handled) == ["first", "second"]

    def test_handler_changes_commit_with_its_idempotency_record(self, session, subscribers):
        from anju.registry.models import Compound

        @subscribers
        def rename(s, e: ThingHappened) -> None:
            s.execute(update(Compound).where(Compound.code == "XFL").values(district="事件区"))

        _publish_committed()
        _deliver_all()
        assert session.execute(select(Compound.district).where(Compound.code == "XFL")).scalar_one() == "事件区"

    def test_failing_handler_is_retried_with_backoff_and_others_not_rerun(self, session, subscribers):
        calls: Counter[str] = Counter()

        @subscribers
        def steady(s, e: ThingHappened) -> None:
            calls["steady"] += 1

        @subscribers
        def flaky(s, e: ThingHappened) -> None:
            calls["flaky"] += 1
            if calls["flaky"] == 1:
                raise RuntimeError("vendor down")

        [event_id] = _publish_committed()
        before = utcnow()
        assert _deliver_all() == 0
        ev = session.get(OutboxEvent, event_id)
        session.refresh(ev)
        assert ev.status == "pending" and ev.attempts == 1
        assert "vendor down" in (ev.last_error or "")
        assert ev.available_at > before  # backed off, not retried at once
        assert ev.locked_by is None and ev.locked_until is None
        assert _deliver_all() == 0  # not due yet
        assert calls == {"steady": 1, "flaky": 1}

        session.execute(
            update(OutboxEvent).where(OutboxEvent.id == event_id).values(available_at=utcnow() - timedelta(seconds=1))
        )
        session.flush()
        assert _deliver_all() == 1
        assert calls == {"steady": 1, "flaky": 2}  # the handler that succeeded was not re-run
        session.refresh(ev)
        assert ev.status == "done" and ev.attempts == 2 and ev.last_error is None

    def test_handler_hitting_a_constraint_is_retried_not_lost(self, session, subscribers):
        from anju.registry.models import Compound

        @subscribers
        def duplicate(s, e: ThingHappened) -> None:
            # The handler's own write violates a unique constraint: a failure like any other,
            # not "another worker already handled this".
            s.add(Compound(code="XFL", name="重复", address="-"))
            s.flush()

        [event_id] = _publish_committed()
        _deliver_all()
        ev = session.get(OutboxEvent, event_id)
        session.refresh(ev)
        assert ev.status == "pending" and ev.attempts == 1 and "IntegrityError" in (ev.last_error or "")
        assert session.execute(select(EventHandled).where(EventHandled.event_id == event_id)).first() is None

    def test_backoff_grows_and_is_capped(self):
        waits = [events._backoff(k) for k in range(1, 15)]
        assert waits == sorted(waits) and waits[0] < waits[3]
        assert max(waits) == timedelta(seconds=600)

    def test_event_is_dead_after_max_attempts(self, session, subscribers):
        calls: list[int] = []

        @subscribers
        def broken(s, e: ThingHappened) -> None:
            calls.append(e.n)
            raise ValueError("always fails")

        [event_id] = _publish_committed()
        for _ in range(5):
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(available_at=utcnow() - timedelta(seconds=1))
            )
            session.flush()
            _deliver_all(max_attempts=3)
        ev = session.get(OutboxEvent, event_id)
        session.refresh(ev)
        assert ev.status == "dead" and ev.attempts == 3
        assert len(calls) == 3
        assert "always fails" in (ev.last_error or "")

    def test_expired_lease_is_taken_over(self, session, subscribers):
        calls: list[int] = []

        @subscribers
        def once(s, e: ThingHappened) -> None:
            calls.append(e.n)

        [event_id] = _publish_committed()
        # A worker claimed it and crashed: its lease has run out.
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id)
            .values(locked_by="crashed", locked_until=utcnow() - timedelta(seconds=1))
        )
        session.flush()
        assert _deliver_all(worker_id="rescuer") == 1
        assert calls == [0]

    def test_live_lease_is_respected(self, session, subscribers):
        calls: list[int] = []

        @subscribers
        def once(s, e: ThingHappened) -> None:
            calls.append(e.n)

        [event_id] = _publish_committed()
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id)
            .values(locked_by="busy", locked_until=utcnow() + timedelta(minutes=5))
        )
        session.flush()
        assert _deliver_all(worker_id="other") == 0
        assert calls == []


class TestConcurrentWorkers:
    def test_two_workers_never_run_a_handler_twice(self, tmp_path, subscribers):
        calls: Counter[int] = Counter()
        lock = threading.Lock()

        @subscribers
        def count(s, e: ThingHappened) -> None:
            with lock:
                calls[e.n] += 1

        n_events = 40
        with dedicated_database(tmp_path, "outbox_race") as (_, engine):
            _publish_committed(n_events)

            def work(worker_id: str) -> None:
                # Small batches so the two workers interleave claims.
                while deliver_pending(worker_id=worker_id, limit=3):
                    pass

            race(2, lambda k: work(f"w{k}"))  # an exception in either worker fails the test
            with engine.connect() as conn:
                statuses = Counter(conn.execute(select(OutboxEvent.status)).scalars())
                handled = conn.execute(select(func.count()).select_from(EventHandled)).scalar_one()
        assert calls == dict.fromkeys(range(n_events), 1)
        assert statuses == {"done": n_events}
        assert handled == n_events


class TestOutboxPurge:
    """Issue 20 item 14a: the outbox was never purged; delivered rows past retention go, with their records."""

    def test_outbox_is_never_purged_delivered_events_past_retention_are_deleted(self, session, subscribers):
        from anju.core.jobs import registered_jobs

        old = utcnow() - timedelta(days=30)
        rows = {}
        for status, delivered in (("done", old), ("done", utcnow()), ("dead", None), ("pending", None)):
            # Created when delivered: on PostgreSQL a day still partitioned goes whole by partition, not row by row.
            at = delivered or utcnow()
            ev = OutboxEvent(
                topic=ThingHappened.topic, payload={"n": 1}, status=status, delivered_at=delivered, created_at=at
            )
            session.add(ev)
            session.flush()
            rows[(status, delivered is not None and delivered < utcnow() - timedelta(days=1))] = ev.id
            session.add(EventHandled(event_id=ev.id, event_created_at=ev.created_at, handler="test.handler"))
        session.flush()
        assert "core.purge_outbox" in registered_jobs()
        events.purge_outbox()
        left = set(session.execute(select(OutboxEvent.id).where(OutboxEvent.id.in_(rows.values()))).scalars())
        assert left == {rows[("done", False)], rows[("dead", False)], rows[("pending", False)]}
        handled = set(
            session.execute(select(EventHandled.event_id).where(EventHandled.event_id.in_(rows.values()))).scalars()
        )
        assert handled == left

    def test_outbox_is_never_purged_in_batches_until_done(self, session):
        old = utcnow() - timedelta(days=30)
        session.execute(
            OutboxEvent.__table__.insert(),
            [
                {
                    "topic": ThingHappened.topic,
                    "payload": {"n": i},
                    "status": "done",
                    "attempts": 1,
                    "created_at": old,
                    "available_at": old,
                    "delivered_at": old,
                }
                for i in range(events.PURGE_BATCH * 2 + 7)
            ],
        )
        session.flush()
        events.purge_outbox()
        left = session.execute(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.status == "done", OutboxEvent.delivered_at < utcnow() - timedelta(days=8))
        ).scalar_one()
        assert left == 0


_SEEN: list[bool] = []


def _commits_itself(s: Any, e: ThingHappened) -> None:
    _SEEN.append(s.in_nested_transaction())
    s.commit()  # what a handler that must keep its work before calling a broker does


@pytest.mark.usefixtures("quiet_outbox")
class TestDeliveryBatches:
    """Issue 19: a worker delivers a claimed batch in one transaction, each handler in a savepoint."""

    def test_a_failing_handler_in_a_batch_is_rolled_back_alone(self, session, subscribers):
        from anju.registry.models import Compound

        @subscribers
        def rename(s, e: ThingHappened) -> None:
            code = "XFL" if e.n == 0 else "SFXQ"
            s.execute(update(Compound).where(Compound.code == code).values(district=f"批{e.n}"))
            if e.n == 1:
                raise RuntimeError("second event fails after writing")

        first, second = _publish_committed(2)
        assert deliver_pending(worker_id="batch") == 1
        districts = dict(session.execute(select(Compound.code, Compound.district)).tuples().all())
        assert districts["XFL"] == "批0"  # the first event's handler committed with the batch
        assert districts["SFXQ"] != "批1"  # the failing handler's write went with its savepoint
        rows = {
            e.id: e for e in session.execute(select(OutboxEvent).where(OutboxEvent.id.in_([first, second]))).scalars()
        }
        for ev in rows.values():
            session.refresh(ev)
        assert rows[first].status == "done" and rows[second].status == "pending"
        assert "second event fails" in (rows[second].last_error or "")
        handled = session.execute(
            select(func.count()).select_from(EventHandled).where(EventHandled.event_id.in_([first, second]))
        ).scalar_one()
        assert handled == 1

    def test_a_handler_with_its_own_transaction_runs_outside_the_batch(self, session, subscribers):
        _SEEN.clear()
        events.subscribe(ThingHappened, own_transaction=True)(_commits_itself)
        try:
            _publish_committed(3)
            assert _deliver_all() == 3
        finally:
            events._own_transaction.discard(f"{__name__}._commits_itself")
        assert _SEEN == [False, False, False]

    def test_a_lost_batch_commit_is_redone_one_by_one(self, session, subscribers, monkeypatch):
        from sqlalchemy.exc import OperationalError

        runs: Counter[int] = Counter()

        @subscribers
        def count(s, e: ThingHappened) -> None:
            runs[e.n] += 1

        ids = _publish_committed(3)
        made = 0
        real = events.new_session

        def flaky_session():
            nonlocal made
            made += 1
            s = real()
            if made == 2:  # the batch's session (the first is the claim's)

                def broken_commit() -> None:
                    raise OperationalError("COMMIT", {}, Exception("connection lost at commit"))

                s.commit = broken_commit  # type: ignore[method-assign]
            return s

        monkeypatch.setattr(events, "new_session", flaky_session)
        assert deliver_pending(worker_id="batch") == 3
        assert runs == {0: 2, 1: 2, 2: 2}  # ran in the lost batch, then once more, one by one
        handled = session.execute(
            select(EventHandled.event_id, func.count())
            .where(EventHandled.event_id.in_(ids))
            .group_by(EventHandled.event_id)
        ).all()
        assert sorted(handled) == [(i, 1) for i in sorted(ids)]  # recorded once each: the lost batch wrote nothing
