"""Issue 19: access decisions logged once per terminal record although PostgreSQL partitions the log by month.

The replay key (terminal, record id) lives in `access_log_key`; these tests resend a record across a month boundary
(the two receipts fall in different partitions on PostgreSQL), replay the same record from two transactions at once,
and purge keys with the rows they guard. R-A9 retention drops whole months (tests/core/test_partitions_history.py).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from anju.access.config import access_settings
from anju.access.decision_service import decision_service
from anju.access.models import AccessLog, AccessLogKey, AccessPoint, Terminal
from anju.access.schemas import OfflineBatch, OfflineRecord
from anju.access.tasks import purge_access_logs_in
from anju.core import db as core_db
from anju.core.db import utcnow
from anju.core.partitions import month_floor, registered
from anju.privacy.catalog import CATALOG
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database

GATE = "南门人行"


def _south(session):
    return session.execute(select(Terminal).where(Terminal.key_id == "term_SFXQ_south")).scalar_one()


def _gate(session, terminal):
    return session.execute(
        select(AccessPoint.id).where(AccessPoint.compound_id == terminal.compound_id, AccessPoint.name == GATE)
    ).scalar_one()


def _batch(gate: int, record_id: str, at) -> OfflineBatch:
    rec = OfflineRecord(record_id=record_id, access_point_id=gate, method="card", decision="allow", device_time=at)
    return OfflineBatch(records=[rec])


def _logged(session, terminal_id: int, record_id: str) -> list[AccessLog]:
    return list(
        session.execute(
            select(AccessLog).where(AccessLog.terminal_id == terminal_id, AccessLog.record_id == record_id)
        ).scalars()
    )


def test_r_a9_replay_resent_in_the_next_month_is_logged_once(session):
    south = _south(session)
    gate = _gate(session, south)
    first = month_floor(utcnow()) - timedelta(seconds=20)  # the last seconds of last month
    batch = _batch(gate, "month-edge-1", first - timedelta(minutes=5))
    got = decision_service.replay(session, terminal=south, batch=batch, now=first)
    assert (got.inserted, got.duplicates) == (1, 0)
    again = decision_service.replay(session, terminal=south, batch=batch, now=first + timedelta(minutes=1))
    assert (again.inserted, again.duplicates) == (0, 1)  # a new server time, in the next month: still a repeat
    (row,) = _logged(session, south.id, "month-edge-1")
    assert row.server_at == first
    key = session.get(AccessLogKey, (south.id, "month-edge-1"))
    assert key is not None and (key.log_id, key.server_at) == (row.id, row.server_at)
    if DB_KIND == "postgresql":  # it sits in last month's partition; the resend's month got nothing
        part = session.execute(
            text("SELECT tableoid::regclass::text FROM access_log WHERE id = :i"), {"i": row.id}
        ).scalar_one()
        assert part == f"access_log_p{first:%Y%m}"


def test_r_a9_a_retried_online_decision_answers_its_first_row(decide, south, points, session):
    from tests.access.conftest import LI

    a = decide(south, points[GATE], "card", LI, record_id="part-retry-1")
    b = decide(south, points[GATE], "card", LI, record_id="part-retry-1")
    assert a == b
    terminal = _south(session)
    assert len(_logged(session, terminal.id, "part-retry-1")) == 1


@pytest.mark.postgres
def test_r_a9_concurrent_replays_of_one_record_log_it_once(tmp_path):
    """Two transactions replay the same record; the second waits on the key, then counts a duplicate."""
    if DB_KIND != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite has one writer at a time)")
    with dedicated_database(tmp_path, "replay_race", seed=True):
        first = core_db.new_session()
        south = _south(first)
        gate = _gate(first, south)
        now = utcnow()
        got = {"first": decision_service.replay(first, terminal=south, batch=_batch(gate, "race-1", now), now=now)}

        def second() -> None:
            with core_db.transaction() as s2:  # the terminal's resend, received a little later
                t2 = _south(s2)
                later = now + timedelta(seconds=3)
                got["second"] = decision_service.replay(s2, terminal=t2, batch=_batch(gate, "race-1", now), now=later)

        t = threading.Thread(target=second)
        t.start()
        t.join(0.5)
        assert t.is_alive(), "the second replay must wait for the first transaction's key"
        first.commit()
        first.close()
        t.join(10)
        assert (got["first"].inserted, got["first"].duplicates) == (1, 0)
        assert (got["second"].inserted, got["second"].duplicates) == (0, 1)
        with core_db.transaction() as s:
            terminal = _south(s)
            assert len(_logged(s, terminal.id, "race-1")) == 1
            n = s.execute(select(func.count()).select_from(AccessLogKey).where(AccessLogKey.record_id == "race-1"))
            assert n.scalar_one() == 1


def test_r_a9_purge_takes_replay_keys_with_their_rows(session):
    south = _south(session)
    gate = _gate(session, south)
    now = utcnow()
    keep = timedelta(days=access_settings().log_retention_days)
    # Older than every monthly partition the test database has: on PostgreSQL these rows sit in the default
    # partition, which the row purge covers; whole months go by the partition job.
    old = now - keep - timedelta(days=400)
    decision_service.replay(session, terminal=south, batch=_batch(gate, "purge-old", old), now=old)
    decision_service.replay(session, terminal=south, batch=_batch(gate, "purge-new", now), now=now)
    purge_access_logs_in(session, now=now)
    session.expire_all()
    assert _logged(session, south.id, "purge-old") == []
    assert session.get(AccessLogKey, (south.id, "purge-old")) is None
    assert len(_logged(session, south.id, "purge-new")) == 1
    assert session.get(AccessLogKey, (south.id, "purge-new")) is not None


def test_r_p1_access_log_retention_is_the_record_of_processings():
    import anju.handlers  # noqa: F401

    declared = next(d for d in CATALOG if d.field == "access_log.person_id")
    spec = registered()["access_log"]
    assert spec.column == "server_at"
    assert (
        spec.retention()
        == timedelta(days=access_settings().log_retention_days)
        == timedelta(days=declared.retention_days or 0)
    )
