"""Domain events through a transactional outbox (R7).

`publish()` adds an `outbox_event` row in the caller's transaction, so an event
exists only if the change that caused it commits. `anju worker` claims pending
rows with a lease (compare-and-swap, so two workers never deliver the same row
at once), runs each subscriber in its own transaction and records the
(event, handler) pair, so a retry after a crash never re-runs a handler that
already succeeded.

Storage (issue 19, district scale). On PostgreSQL `outbox_event` is RANGE-partitioned by day of `created_at`
(primary key (id, created_at), one sequence, so ids stay unique across partitions and remain the bus's message
id), and `event_handled` the same way by `event_created_at`, its event's creation time (primary key (event_id,
event_created_at, handler): the exactly-once record). The leased job core.partitions (`anju.core.partitions`)
creates days ahead and drops a day of both tables once it ended ANJU_OUTBOX_RETENTION_DAYS ago: one DROP TABLE each
instead of millions of DELETEs. Before the drop, the day's pending and dead events (and their handler records) are
inserted back into the default partitions (`_keep_undelivered`): nothing undelivered is lost, dead events stay
listed for a person, ids unchanged. Daily because the retention is days: monthly partitions would keep a 7-day
outbox up to 5 weeks (about 5x the storage), hourly ones would put ~200 partitions under every claim and lookup by
id; daily keeps at most retention + 1 days on disk with about a dozen partitions. `purge_delivered` (the batched
delete, the only purge on SQLite) then only sweeps the default partition's old delivered rows on PostgreSQL.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel
from sqlalchemy import JSON, Connection, Integer, String, Text, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from anju.core.db import Base, UTCDateTime, new_session, utcnow
from anju.core.ids import BigId  # a global id: the bus's message id (issue 19 item 4)
from anju.core.jobs import in_batches, job
from anju.core.partitions import RangePartitions, is_partitioned, periods, register

log = logging.getLogger("anju.events")


class DomainEvent(BaseModel):
    """Base of every event; subclasses set `topic` ("<domain>.<PastTense>")."""

    topic: ClassVar[str]


class OutboxEvent(Base):
    """One event to deliver. On PostgreSQL partitioned by day of `created_at` (primary key (id, created_at), set by
    the migration; ids from one sequence); one table on SQLite."""

    __tablename__ = "outbox_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    compound_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending|done|dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # When `anju relay` published the delivered event to NATS JetStream (anju.core.bus); NULL: not yet.
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class EventHandled(Base):
    """One row per (event, handler) that completed: the idempotency record.

    Keyed by (event_id, event_created_at, handler): an event's creation time never changes, so this is the
    (event, handler) uniqueness, with the partition key in it as PostgreSQL requires (partitioned by day of
    `event_created_at` like the outbox, so a day's records go with its events). No foreign key into the
    partitioned outbox: the records are dropped with their day, and deleted with their events by `purge_delivered`.
    """

    __tablename__ = "event_handled"
    event_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_created_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    handler: Mapped[str] = mapped_column(String(128), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]
_subscribers: dict[str, list[tuple[str, type[DomainEvent], Handler]]] = defaultdict(list)


# Handlers that commit part of their work themselves or call out to another system (a broker): they run in a
# session of their own, never inside a delivery batch's transaction.
_own_transaction: set[str] = set()


def subscribe(
    event_type: type[E], *, own_transaction: bool = False
) -> Callable[[Callable[[Session, E], None]], Callable[[Session, E], None]]:
    """Register an idempotent handler, run by the worker after the publishing commit.

    Handlers run inside a delivery batch (each in a savepoint of the batch's transaction); a handler that commits
    by itself or waits on another system says `own_transaction=True` and gets a session of its own."""

    def deco(fn: Callable[[Session, E], None]) -> Callable[[Session, E], None]:
        name = f"{fn.__module__}.{fn.__qualname__}"
        subs = _subscribers[event_type.topic]
        if all(n != name for n, _, _ in subs):
            subs.append((name, event_type, fn))
        if own_transaction:
            _own_transaction.add(name)
        return fn

    return deco


def subscribers(topic: str) -> list[str]:
    return [n for n, _, _ in _subscribers.get(topic, [])]


def publish(session: Session, event: DomainEvent, *, compound_id: int | None = None) -> OutboxEvent:
    """Queue an event in the caller's transaction; delivered only after it commits."""
    row = OutboxEvent(topic=event.topic, payload=event.model_dump(mode="json"), compound_id=compound_id)
    session.add(row)
    return row


def publish_many(session: Session, events: Sequence[tuple[DomainEvent, int | None]]) -> None:
    """`publish` for many events (event, compound_id) at once: the same rows, in order, in one INSERT."""
    if events:
        rows = [{"topic": e.topic, "payload": e.model_dump(mode="json"), "compound_id": c} for e, c in events]
        session.flush()  # pending ORM rows first, as `publish`'s rows would be flushed in order
        # A Core INSERT of the table (its column defaults apply): the ORM's bulk path costs more than the database.
        session.execute(insert(OutboxEvent.__table__), rows)


def _claim(
    session: Session, worker_id: str, limit: int, lease: timedelta, min_age: timedelta | None = None
) -> list[int]:
    now = utcnow()
    free = or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now)
    q = (
        select(OutboxEvent.id)
        .where(OutboxEvent.status == "pending", OutboxEvent.available_at <= now, free)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if min_age is not None:  # the bus delivers fresh events; the poller only sweeps up what it left behind
        q = q.where(OutboxEvent.created_at < now - min_age)
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    ids = list(session.execute(q).scalars())
    claimed: list[int] = []
    if ids:
        # One compare-and-swap for the batch: on SQLite (no SKIP LOCKED) a rival may have taken some of them.
        claimed = sorted(
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(ids), free)
                .values(locked_by=worker_id, locked_until=now + lease)
                .returning(OutboxEvent.id)
            ).scalars()
        )
    session.commit()
    return claimed


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 2**attempts))


def deliver_pending(
    *,
    worker_id: str = "local",
    limit: int = 100,
    lease_seconds: int = 60,
    max_attempts: int = 10,
    should_stop: Callable[[], bool] | None = None,
    min_age: timedelta | None = None,
) -> int:
    """Deliver a batch of pending events; returns how many events were finished.

    `should_stop` is asked between events: a stopping worker hands back the rest of its batch at once
    instead of letting them wait for the lease to expire. With `min_age`, only events older than that
    (when handlers consume from the bus, the poller is its safety net).
    """
    with new_session() as session:
        ids = _claim(session, worker_id, limit, timedelta(seconds=lease_seconds), min_age)
    finished = pos = 0
    while pos < len(ids):
        if should_stop is not None and should_stop():
            release_claims(worker_id, ids[pos:])
            break
        took, done = _deliver_batch(ids[pos:], worker_id=worker_id, max_attempts=max_attempts, should_stop=should_stop)
        pos += took
        finished += done
    return finished


BATCH_SECONDS = 0.25  # a delivery batch's transaction takes events until this long has passed


def _deliver_batch(
    ids: list[int], *, worker_id: str, max_attempts: int, should_stop: Callable[[], bool] | None
) -> tuple[int, int]:
    """Deliver claimed events from the front of `ids` in one transaction; returns (events taken, finished).

    Each handler runs in a savepoint with its (event, handler) record, so a failing handler is rolled back alone
    and retried later while the others' work stands; the batch commits once (one commit for many events instead of
    two per event). Events whose pending handlers need their own transaction go the one-by-one way after the
    commit. If the batch itself cannot commit (a lost connection, SQLite busy at commit), nothing of it was
    written and its events are delivered one by one instead."""
    started = time.monotonic()
    taken, finished, solo = 0, 0, []
    session = new_session()
    try:
        rows = {e.id: e for e in session.execute(select(OutboxEvent).where(OutboxEvent.id.in_(ids))).scalars()}
        done = {
            (int(e), str(h))
            for e, h in session.execute(
                select(EventHandled.event_id, EventHandled.handler).where(EventHandled.event_id.in_(ids))
            )
        }
        for event_id in ids:
            if taken and (time.monotonic() - started > BATCH_SECONDS or (should_stop is not None and should_stop())):
                break
            taken += 1
            ev = rows.get(event_id)
            if ev is None or ev.status != "pending" or ev.locked_by != worker_id:
                continue
            subs = [s for s in _subscribers.get(ev.topic, []) if (event_id, s[0]) not in done]
            if any(name in _own_transaction for name, _, _ in subs):
                solo.append(event_id)
                continue
            payload, created_at = ev.payload, ev.created_at
            errors: list[str] = []
            for name, event_type, fn in subs:
                try:
                    with session.begin_nested():
                        fn(session, event_type.model_validate(payload))
                        session.add(EventHandled(event_id=event_id, event_created_at=created_at, handler=name))
                        session.flush()  # the handler's own constraint errors surface here, as failures
                except Exception as e:  # noqa: BLE001  (any handler failure: logged by _log_failure, retried)
                    if isinstance(e, IntegrityError) and _was_handled(session, event_id, created_at, name):
                        continue  # another worker finished this handler first (after our lease ran out)
                    _log_failure(e, name, event_id)
                    errors.append(f"{name}: {traceback.format_exc(limit=3)}")
            _finish(ev, errors, max_attempts)
            finished += not errors
        session.commit()
    except Exception:
        session.rollback()
        log.warning("delivery batch of %d events failed to commit; delivering them one by one", taken, exc_info=True)
        finished, solo = 0, ids[:taken]
    finally:
        session.close()
    for event_id in solo:
        finished += _deliver_one(event_id, worker_id=worker_id, max_attempts=max_attempts)
    return taken, finished


def _was_handled(session: Session, event_id: int, created_at: datetime, handler: str) -> bool:
    found = session.execute(
        select(EventHandled.handler).where(
            EventHandled.event_id == event_id,
            EventHandled.event_created_at == created_at,
            EventHandled.handler == handler,
        )
    ).first()
    return found is not None


def _log_failure(e: Exception, name: str, event_id: int) -> None:
    if isinstance(e, OperationalError) and "database is locked" in str(e):
        # SQLite serialises writers; a handler that lost the race is retried with backoff.
        log.warning("handler %s on event %s: SQLite busy, will retry", name, event_id)
    else:
        log.exception("handler %s failed on event %s", name, event_id)


def _finish(ev: OutboxEvent, errors: list[str], max_attempts: int) -> None:
    """Record one delivery attempt's outcome on the event (the caller commits)."""
    ev.attempts += 1
    ev.locked_by = None
    ev.locked_until = None
    if errors:
        ev.last_error = "\n".join(errors)[-4000:]
        if ev.attempts >= max_attempts:
            ev.status = "dead"
        else:
            ev.available_at = utcnow() + _backoff(ev.attempts)
    else:
        ev.status = "done"
        ev.delivered_at = utcnow()
        ev.last_error = None


def deliver_event(
    event_id: int, *, worker_id: str, lease_seconds: int = 60, max_attempts: int = 10
) -> tuple[str, float]:
    """Deliver the one outbox event a bus message names (issue 19: handlers consuming from JetStream).

    Returns what to tell the bus: ("ack", 0) when the event is finished (now, or before: a redelivered message
    re-runs nothing, the (event, handler) records stand), or gone; ("retry", seconds) when a handler failed (the
    outbox's backoff), the event is claimed by another worker, or is not due yet. The claim is the poller's
    compare-and-swap lease, so a bus consumer and a database poller never run the same event at once.
    """
    now = utcnow()
    with new_session() as session:
        ev = session.get(OutboxEvent, event_id)
        if ev is None or ev.status != "pending":
            return "ack", 0.0  # delivered (or dead, kept for a person; or purged): nothing left for the bus
        if ev.available_at > now:
            return "retry", max(1.0, (ev.available_at - now).total_seconds())
        free = or_(
            OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until < now, OutboxEvent.locked_by == worker_id
        )
        res = session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.status == "pending", free)
            .values(locked_by=worker_id, locked_until=now + timedelta(seconds=lease_seconds))
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            return "retry", float(lease_seconds)  # someone else holds it; look again when their lease ends
        session.commit()
    if _deliver_one(event_id, worker_id=worker_id, max_attempts=max_attempts):
        return "ack", 0.0
    with new_session() as session:
        ev = session.get(OutboxEvent, event_id)
        if ev is None or ev.status != "pending":
            return "ack", 0.0  # dead after its last attempt: a person looks at it, the bus stops
        return "retry", max(1.0, (ev.available_at - utcnow()).total_seconds())


def purge_delivered(*, before: datetime, limit: int = 5_000) -> int:
    """Delete one batch of events delivered before `before`, with their handler records; returns the batch size.

    Only `done` events go: pending ones still have work, dead ones are kept for a person to look at. On a
    partitioned outbox (PostgreSQL) only rows older than the oldest daily partition (the default partition's:
    kept events delivered later, rows from before the migration) are deleted; whole days go by partition.
    """
    with new_session() as session:
        q = (
            select(OutboxEvent.id)
            .where(OutboxEvent.status == "done", OutboxEvent.delivered_at < before)
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        conn = session.connection()
        if is_partitioned(conn, OUTBOX):
            days = periods(conn, OUTBOX, "day")
            if days:
                q = q.where(OutboxEvent.created_at < min(days))
        ids = list(session.execute(q).scalars())
        if ids:
            session.execute(delete(EventHandled).where(EventHandled.event_id.in_(ids)))
            session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(ids), OutboxEvent.status == "done"))
            session.commit()
    return len(ids)


PURGE_BATCH = 5_000
OUTBOX = "outbox_event"
_EVENT_COLUMNS = ", ".join(f'"{c.name}"' for c in OutboxEvent.__table__.columns)
_HANDLED_COLUMNS = ", ".join(f'"{c.name}"' for c in EventHandled.__table__.columns)


def _retention() -> timedelta:
    from anju.core.config import get_settings

    return timedelta(days=get_settings().outbox_retention_days)


def _keep_undelivered(conn: Connection, parts: dict[str, str], lo: datetime, hi: datetime) -> None:
    """Before an expired day of the outbox is dropped (its partitions detached): its pending and dead events and
    their handler records go back into the tables, where they land in the default partitions, ids unchanged.

    Reads only the few rows kept (the status index of the detached day, the handler records' primary key), not the
    day's millions of delivered ones."""
    events_part, handled_part = parts.get(OUTBOX), parts.get("event_handled")
    undelivered = "status IN ('pending', 'dead')"
    if events_part is not None:
        kept = list(conn.execute(text(f'SELECT id FROM "{events_part}" WHERE {undelivered}')).scalars())
        if kept:
            conn.execute(
                text(
                    f'INSERT INTO {OUTBOX} ({_EVENT_COLUMNS}) SELECT {_EVENT_COLUMNS} FROM "{events_part}" '
                    "WHERE id = ANY(:ids)"
                ),
                {"ids": kept},
            )
    else:  # the day's events already live in the default partition (created before the day's partition was)
        kept = list(
            conn.execute(
                text(f"SELECT id FROM {OUTBOX} WHERE created_at >= :lo AND created_at < :hi AND {undelivered}"),
                {"lo": lo, "hi": hi},
            ).scalars()
        )
    if handled_part is not None and kept:
        conn.execute(
            text(
                f'INSERT INTO event_handled ({_HANDLED_COLUMNS}) SELECT {_HANDLED_COLUMNS} FROM "{handled_part}" '
                "WHERE event_id = ANY(:ids)"
            ),
            {"ids": kept},
        )


# Daily partitions on PostgreSQL, three days ahead (the hourly job may miss a few runs); see the module's docstring.
OUTBOX_PARTITIONS = register(
    RangePartitions(
        OUTBOX,
        "created_at",
        _retention,
        ahead=3,
        width="day",
        children=(("event_handled", "event_created_at"),),
        keep=_keep_undelivered,
    )
)


@job("core.purge_outbox", every=timedelta(minutes=30))
def purge_outbox() -> None:
    """Delete delivered events older than ANJU_OUTBOX_RETENTION_DAYS, batch by batch (at most 30 s a run).

    On PostgreSQL whole days go by partition (core.partitions); this sweeps only the default partition."""
    before = utcnow() - _retention()
    in_batches(
        lambda: purge_delivered(before=before, limit=PURGE_BATCH), batch=PURGE_BATCH, budget=timedelta(seconds=30)
    )


def release_claims(worker_id: str, ids: list[int] | None = None) -> None:
    """Give back this worker's claims on pending events (all, or those `ids`) so another worker takes them now."""
    stmt = update(OutboxEvent).where(OutboxEvent.locked_by == worker_id, OutboxEvent.status == "pending")
    if ids is not None:
        stmt = stmt.where(OutboxEvent.id.in_(ids))
    with new_session() as session:
        session.execute(stmt.values(locked_by=None, locked_until=None))
        session.commit()


def _deliver_one(event_id: int, *, worker_id: str, max_attempts: int) -> bool:
    with new_session() as session:
        ev = session.get(OutboxEvent, event_id)
        if ev is None or ev.status != "pending" or ev.locked_by != worker_id:
            return False
        topic, payload, created_at = ev.topic, ev.payload, ev.created_at
        done = set(
            session.execute(
                select(EventHandled.handler).where(
                    EventHandled.event_id == event_id, EventHandled.event_created_at == created_at
                )
            ).scalars()
        )
    errors: list[str] = []
    for name, event_type, fn in list(_subscribers.get(topic, [])):
        if name in done:
            continue
        with new_session() as session:
            try:
                fn(session, event_type.model_validate(payload))
                session.flush()  # the handler's own constraint errors surface here, as failures
            except Exception as e:  # noqa: BLE001  (any handler failure: logged by _log_failure, retried)
                session.rollback()
                _log_failure(e, name, event_id)
                errors.append(f"{name}: {traceback.format_exc(limit=3)}")
                continue
            session.add(EventHandled(event_id=event_id, event_created_at=created_at, handler=name))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()  # another worker finished this handler first
    with new_session() as session:
        ev = session.get(OutboxEvent, event_id)
        assert ev is not None
        _finish(ev, errors, max_attempts)
        session.commit()
        return not errors
