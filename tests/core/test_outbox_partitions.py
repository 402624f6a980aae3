"""Issue 19 (district scale, storage): the outbox and its handler records partitioned by day on PostgreSQL.

- with frozen time, a day of delivered events (and their exactly-once records) past ANJU_OUTBOX_RETENTION_DAYS is
  dropped whole; its pending and dead events, with their records, are kept (in the default partition), ids kept;
- the exactly-once record still prevents a second handling, in a live day and after its event was kept;
- ids stay unique across partitions (one sequence);
- SQLite keeps single tables and the batched delete (which on PostgreSQL only sweeps the default partition);
- the migration converts the tables in place, every row kept, and back.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import db as core_db
from anju.core import events
from anju.core.db import utcnow
from anju.core.events import DomainEvent, EventHandled, OutboxEvent, deliver_pending, publish, subscribe
from anju.core.migrate import alembic_config, upgrade
from anju.core.partitions import drop_expired, ensure, maintain, partition_names, periods, registered
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database

BEFORE = "zj20261207_command_fifth"
DAY = timedelta(days=1)


class Parted(DomainEvent):
    topic = "test.OutboxParted"
    n: int


@pytest.fixture
def handlers() -> Iterator[Callable[..., Any]]:
    """Register test-only handlers of Parted; removed afterwards."""
    saved = list(events._subscribers.get(Parted.topic, []))
    yield subscribe(Parted)
    events._subscribers[Parted.topic] = saved
    if not saved:
        events._subscribers.pop(Parted.topic, None)


def _pg_only() -> None:
    if DB_KIND != "postgresql":
        pytest.skip("native partitions are PostgreSQL's; SQLite keeps one table")


def _event(s: Session, at: datetime, status: str, **extra: Any) -> int:
    row = {"topic": Parted.topic, "payload": {"n": 0}, "status": status, "attempts": 1, "created_at": at}
    row |= {"available_at": at, "delivered_at": at if status == "done" else None} | extra
    return int(s.execute(OutboxEvent.__table__.insert().returning(OutboxEvent.id), row).scalar_one())


def _handled(s: Session, event_id: int, at: datetime, handler: str = "test.h1") -> None:
    s.execute(
        EventHandled.__table__.insert(),
        {"event_id": event_id, "event_created_at": at, "handler": handler, "handled_at": at},
    )


def _where(s: Session, table: str, column: str, value: int) -> str | None:
    return s.execute(
        text(f"SELECT tableoid::regclass::text FROM {table} WHERE {column} = :v LIMIT 1"), {"v": value}
    ).scalar()


def _duplicate_refused(s: Session, event_id: int, at: datetime) -> bool:
    try:
        with s.begin_nested():
            _handled(s, event_id, at)
    except IntegrityError:
        return True
    return False


@pytest.mark.postgres
def test_outbox_drop_by_partition_i19(session):
    """A day past retention goes with one DROP per table; pending and dead events and their records stay."""
    _pg_only()
    conn = session.connection()
    spec = dataclasses.replace(registered()["outbox_event"], retention=lambda: timedelta(days=7))
    day10 = datetime(2031, 3, 10, 9, tzinfo=UTC)
    made = ensure(conn, spec, day10)
    assert {"outbox_event_p20310310", "outbox_event_p20310313", "event_handled_p20310310"} <= set(made)
    assert ensure(conn, spec, day10) == []  # idempotent
    done = _event(session, day10, "done")
    pending = _event(session, day10, "pending", locked_by="w1", locked_until=day10 + timedelta(hours=1))
    dead = _event(session, day10, "dead", last_error="boom")
    later = _event(session, day10 + 2 * DAY, "done")
    for ev, at in ((done, day10), (pending, day10), (dead, day10), (later, day10 + 2 * DAY)):
        _handled(session, ev, at)
    assert _where(session, "outbox_event", "id", done) == "outbox_event_p20310310"
    assert _where(session, "event_handled", "event_id", done) == "event_handled_p20310310"
    # The exactly-once record refuses a second handling while its day lives.
    assert _duplicate_refused(session, later, day10 + 2 * DAY)

    # Frozen at 2031-03-18 06:00, 7 days: the cutoff 03-11 06:00 lies after the end of the 10th, not of the 11th.
    dropped = drop_expired(conn, spec, datetime(2031, 3, 18, 6, tzinfo=UTC))
    assert {"outbox_event_p20310310", "event_handled_p20310310"} <= set(dropped)  # (and today's real days)
    assert not {"outbox_event_p20310311", "event_handled_p20310311"} & set(dropped)
    assert "outbox_event_p20310310" not in partition_names(conn, "outbox_event")
    assert set(periods(conn, "outbox_event", "day")) >= {day10.replace(hour=0) + k * DAY for k in (1, 2, 3)}

    left = dict(
        session.execute(select(OutboxEvent.id, OutboxEvent.status).where(OutboxEvent.topic == Parted.topic)).all()
    )
    assert left == {pending: "pending", dead: "dead", later: "done"}  # the delivered day went, nothing else
    kept = session.execute(select(OutboxEvent).where(OutboxEvent.id == pending)).scalar_one()
    assert (kept.created_at, kept.locked_by) == (day10, "w1")  # the row as it was, its lease too
    assert _where(session, "outbox_event", "id", pending) == "outbox_event_pdefault"
    records = set(session.execute(select(EventHandled.event_id).where(EventHandled.handler == "test.h1")).scalars())
    assert {pending, dead, later} <= records and done not in records
    assert _where(session, "event_handled", "event_id", pending) == "event_handled_pdefault"
    assert _duplicate_refused(session, pending, day10)  # the kept record still refuses a second handling

    # Dead events stay listed for a person (the ops page's query).
    from anju.system_endpoints import outbox_state

    assert dead in [d["id"] for d in outbox_state(None, session)["dead"]]  # type: ignore[arg-type]


@pytest.mark.postgres
def test_outbox_ids_unique_across_partitions_i19(session):
    """Every day's partition takes ids from the one sequence the relay's message ids come from."""
    _pg_only()
    conn = session.connection()
    spec = registered()["outbox_event"]
    start = datetime(2031, 5, 1, tzinfo=UTC)
    for k in range(4):
        ensure(conn, spec, start + k * DAY)
    ids = [_event(session, start + (k % 4) * DAY + timedelta(hours=k), "pending") for k in range(12)]
    homes = {_where(session, "outbox_event", "id", i) for i in ids}
    assert len(homes) == 4
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    seq = conn.execute(text("SELECT pg_get_serial_sequence('outbox_event', 'id')")).scalar_one()
    assert seq == "public.outbox_event_id_seq"
    assert conn.execute(text(f"SELECT last_value FROM {seq}")).scalar_one() >= max(ids)


def test_outbox_nothing_undelivered_lost_i19(tmp_path, handlers):
    """End to end: a pending event whose day expires is delivered later without re-running a finished handler;
    a dead event stays; a delivered one goes (PostgreSQL: by the partition job; SQLite: by the batched delete)."""
    calls: Counter[tuple[str, int]] = Counter()
    flaky = {"fail": True}

    @handlers
    def first(s: Session, e: Parted) -> None:
        calls["first", e.n] += 1

    @handlers
    def second(s: Session, e: Parted) -> None:
        calls["second", e.n] += 1
        if (e.n == 2 and flaky["fail"]) or e.n == 3:
            raise RuntimeError("not yet")

    with dedicated_database(tmp_path, "outbox_keep") as (_, engine):
        with core_db.transaction() as s:
            ids = {n: publish(s, Parted(n=n)) for n in (1, 2, 3)}
            s.flush()
            eid = {n: r.id for n, r in ids.items()}
        deliver_pending(worker_id="w")
        with core_db.transaction() as s:  # event 3 has failed for good
            s.execute(update(OutboxEvent).where(OutboxEvent.id == eid[3]).values(status="dead"))
        assert calls == {("first", 1): 1, ("second", 1): 1, ("first", 2): 1, ("second", 2): 1, ("first", 3): 1,
                         ("second", 3): 1}  # fmt: skip

        if DB_KIND == "postgresql":
            maintain(utcnow() + timedelta(days=9))  # frozen 9 days on: the events' day is past retention
            with engine.connect() as c:
                assert not [p for p in partition_names(c, "outbox_event") if p.endswith(f"{utcnow():%Y%m%d}")]
        else:
            with core_db.transaction() as s:
                s.execute(update(OutboxEvent).values(delivered_at=utcnow() - timedelta(days=30)))
            events.purge_outbox()
        with engine.connect() as c:
            left = dict(
                c.execute(select(OutboxEvent.id, OutboxEvent.status).where(OutboxEvent.topic == Parted.topic)).all()
            )
            assert left == {eid[2]: "pending", eid[3]: "dead"}
            handled = Counter(c.execute(select(EventHandled.event_id)).scalars())
            assert eid[1] not in handled and handled[eid[2]] == 1 and handled[eid[3]] == 1

        flaky["fail"] = False
        with core_db.transaction() as s:  # due now
            s.execute(update(OutboxEvent).where(OutboxEvent.id == eid[2]).values(available_at=utcnow()))
        assert deliver_pending(worker_id="w") == 1
        assert calls[("first", 2)] == 1  # its record survived: not run twice
        assert calls[("second", 2)] == 2
        with engine.connect() as c:
            status = c.execute(select(OutboxEvent.status).where(OutboxEvent.id == eid[2])).scalar_one()
            assert status == "done"
            assert c.execute(select(func.count()).where(EventHandled.event_id == eid[2])).scalar_one() == 2


def test_outbox_batched_delete_still_works_i19(session, monkeypatch):
    """The batched delete (SQLite's only purge) removes delivered rows past retention with their records, batch by
    batch; on PostgreSQL it sweeps only the default partition, a live day goes whole by partition later."""
    monkeypatch.setattr(events, "PURGE_BATCH", 20)
    old = utcnow() - timedelta(days=30)
    stale = [_event(session, old, "done") for _ in range(47)]
    for ev in stale:
        _handled(session, ev, old)
    dead = _event(session, old, "dead")
    today = _event(session, utcnow(), "done", delivered_at=old)  # delivered "long ago" but created today
    events.purge_outbox()
    left = set(session.execute(select(OutboxEvent.id).where(OutboxEvent.topic == Parted.topic)).scalars())
    records = session.execute(select(func.count()).where(EventHandled.event_id.in_(stale))).scalar_one()
    assert records == 0
    if DB_KIND == "postgresql":
        assert left == {dead, today}  # today's partition is dropped whole once its day is past retention
    else:
        assert left == {dead}


def _snapshot(c: Any) -> tuple[list[Any], list[Any]]:
    ev = c.execute(text("SELECT id, status, created_at FROM outbox_event ORDER BY id")).all()
    h = c.execute(text("SELECT event_id, handler FROM event_handled ORDER BY event_id, handler")).all()
    return ev, h


def test_outbox_migration_converts_in_place_i19(tmp_path):
    with dedicated_database(tmp_path, "outbox_mig") as (_, engine):
        command.downgrade(alembic_config(), BEFORE)
        now = utcnow()
        with engine.begin() as c:
            for k, (at, status) in enumerate(
                ((now - timedelta(days=40), "dead"), (now - DAY, "done"), (now, "pending"))
            ):
                c.execute(
                    text(
                        "INSERT INTO outbox_event (topic, payload, status, attempts, created_at, available_at)"
                        " VALUES ('t.T', '{}', :s, 1, :at, :at)"
                    ),
                    {"s": status, "at": at},
                )
                eid = c.execute(text("SELECT max(id) FROM outbox_event")).scalar_one()
                c.execute(
                    text("INSERT INTO event_handled (event_id, handler, handled_at) VALUES (:e, :h, :at)"),
                    {"e": eid, "h": f"h{k}", "at": at},
                )
            before = _snapshot(c)
        upgrade()
        with engine.connect() as c:
            assert _snapshot(c) == before
            times = c.execute(
                text(
                    "SELECT count(*) FROM event_handled h JOIN outbox_event e ON e.id = h.event_id"
                    " AND e.created_at = h.event_created_at"
                )
            ).scalar_one()
            assert times == len(before[1])  # every record carries its event's creation time
            if DB_KIND == "postgresql":
                days = periods(c, "outbox_event", "day")
                assert min(days) <= now - timedelta(days=7) and max(days) >= now + 2 * DAY
                assert set(periods(c, "event_handled", "day")) == set(days)
                oldest = before[0][0].id
                assert _where_c(c, oldest) == "outbox_event_pdefault"  # older than every day: the default's
                nxt = c.execute(text("SELECT nextval('outbox_event_id_seq')")).scalar_one()
                assert nxt > max(r.id for r in before[0])
        command.downgrade(alembic_config(), BEFORE)
        with engine.connect() as c:
            assert _snapshot(c) == before
            assert partition_names(c, "outbox_event") == []
        upgrade()


def _where_c(c: Any, event_id: int) -> str:
    return str(
        c.execute(text("SELECT tableoid::regclass::text FROM outbox_event WHERE id = :i"), {"i": event_id}).scalar()
    )
