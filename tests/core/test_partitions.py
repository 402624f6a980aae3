"""Issue 19: monthly partitions on PostgreSQL, single tables on SQLite, behind the same calls.

- the migration converts an existing telemetry table without losing a row (and back);
- the partition job creates months ahead and drops whole months past retention, with frozen time;
- rows the default partition holds for a month move into that month when it is created.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text

from anju.core import db as core_db
from anju.core.jobs import registered_jobs
from anju.core.migrate import alembic_config, upgrade
from anju.core.partitions import MonthlyPartitions, drop_expired, ensure, monthly, partition_names
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database

BEFORE = "zd20261206_services_third"


def _snapshot(conn):
    return conn.execute(text("SELECT id, device_id, event_id, received_at FROM device_message ORDER BY id")).all()


def test_migration_keeps_every_telemetry_row_and_its_key(tmp_path):
    with dedicated_database(tmp_path, "part_mig", seed=True) as (_, engine):
        command.downgrade(alembic_config(), BEFORE)
        now = core_db.utcnow()
        with engine.begin() as c:
            dev = c.execute(text("SELECT min(id) FROM device")).scalar_one()
            comp = c.execute(text("SELECT compound_id FROM device WHERE id = :d"), {"d": dev}).scalar_one()
            at = [now - timedelta(days=400), now - timedelta(days=35), now, now + timedelta(days=70)]
            c.execute(
                text(
                    "INSERT INTO device_message (device_id, compound_id, event_id, kind, device_at, received_at, data)"
                    " VALUES (:d, :c, :e, 'telemetry', :t, :t, '{}')"
                ),
                [{"d": dev, "c": comp, "e": f"m{i}", "t": t} for i, t in enumerate(at)],
            )
            before = _snapshot(c)
        upgrade()
        with engine.connect() as c:
            assert _snapshot(c) == before
            keys = c.execute(text("SELECT count(*) FROM device_message_key WHERE device_id = :d"), {"d": dev})
            assert keys.scalar_one() == sum(1 for r in before if r.device_id == dev)
            if DB_KIND == "postgresql":
                months = monthly(c, "device_message")
                assert min(months) == datetime(at[0].year, at[0].month, 1, tzinfo=UTC)  # from the oldest row
                assert "device_message_pdefault" in partition_names(c, "device_message")
                # new rows keep taking ids from the same sequence
                nxt = c.execute(text("SELECT nextval('device_message_id_seq')")).scalar_one()
                assert nxt > max(r.id for r in before)
        command.downgrade(alembic_config(), BEFORE)
        with engine.connect() as c:
            assert _snapshot(c) == before
            assert partition_names(c, "device_message") == []
        upgrade()


@pytest.mark.postgres
def test_partition_job_creates_ahead_moves_default_rows_and_drops_whole_months(session):
    if DB_KIND != "postgresql":
        pytest.skip("native partitions are PostgreSQL's; SQLite keeps one table")
    conn = session.connection()
    spec = MonthlyPartitions("device_message", "received_at", lambda: timedelta(days=90))
    march = datetime(2031, 3, 10, tzinfo=UTC)
    assert ensure(conn, spec, march) == ["device_message_p203103", "device_message_p203104", "device_message_p203105"]
    assert ensure(conn, spec, march) == []  # idempotent
    dev, comp = conn.execute(text("SELECT id, compound_id FROM device LIMIT 1")).one()
    june = datetime(2031, 6, 15, tzinfo=UTC)
    conn.execute(
        text(
            "INSERT INTO device_message (device_id, compound_id, event_id, kind, device_at, received_at, data)"
            " VALUES (:d, :c, 'june', 'telemetry', :t, :t, '{}')"
        ),
        {"d": dev, "c": comp, "t": june},
    )
    where = "SELECT tableoid::regclass::text FROM device_message WHERE event_id = 'june'"
    assert conn.execute(text(where)).scalar_one() == "device_message_pdefault"
    assert "device_message_p203106" in ensure(conn, spec, datetime(2031, 6, 1, tzinfo=UTC))
    assert conn.execute(text(where)).scalar_one() == "device_message_p203106"  # moved out of the default
    dropped = drop_expired(conn, spec, datetime(2031, 7, 15, tzinfo=UTC))  # cutoff 2031-04-16
    assert "device_message_p203103" in dropped
    assert "device_message_p203104" not in dropped  # April ends after the cutoff: kept whole
    assert set(monthly(conn, "device_message").values()) >= {"device_message_p203104", "device_message_p203106"}
    assert conn.execute(text("SELECT count(*) FROM device_message WHERE event_id = 'june'")).scalar_one() == 1


def test_partition_job_is_a_leased_hourly_job_and_a_no_op_on_sqlite(session):
    import anju.handlers  # noqa: F401

    assert registered_jobs()["core.partitions"].every == timedelta(hours=1)
    if DB_KIND == "sqlite":
        spec = MonthlyPartitions("device_message", "received_at", lambda: timedelta(days=1))
        assert ensure(session.connection(), spec, core_db.utcnow()) == []
        assert drop_expired(session.connection(), spec, core_db.utcnow()) == []
