"""Issue 19: access decisions, alarm transitions and notifications partitioned by month on PostgreSQL.

- the migration converts the three tables in place, every row, id and sequence kept, and back;
- the leased partition job, with frozen time, creates the months ahead, moves rows the default partition held for a
  new month into it and drops a whole month past each table's configured retention, nothing newer;
- SQLite keeps single tables (the same calls are no-ops there).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from anju.core import db as core_db
from anju.core.migrate import alembic_config, upgrade
from anju.core.partitions import drop_expired, maintain, monthly, partition_names, registered
from tests.conftest import DB_KIND
from tests.core.databases import dedicated_database

BEFORE = "zh20261207_services_fourth"
TABLES = {"access_log": "server_at", "alarm_transition": "at", "notification": "created_at"}


def _alarm(c: Connection, compound: int) -> int:
    """An alarm for the transitions to belong to (the demo raises none)."""
    c.execute(
        text(
            "INSERT INTO alarm (compound_id, kind, severity, source, dedupe_key, title, status, evidence, raised_by,"
            " occurred_at, created_at, last_seen_at, occurrences, cleared_by_device, escalation_level) VALUES"
            " (:c, 'smoke', 'critical', 'test', 'partitions', 'partitions', 'open', '{}', 'test', :t, :t, :t, 1,"
            " false, 0)"
        ),
        {"c": compound, "t": core_db.utcnow()},
    )
    return int(c.execute(text("SELECT max(id) FROM alarm")).scalar_one())


def _refs(c: Connection) -> dict[str, int]:
    compound = c.execute(text("SELECT min(id) FROM compound")).scalar_one()
    return {
        "compound": compound,
        "alarm": c.execute(text("SELECT min(id) FROM alarm")).scalar_one() or _alarm(c, compound),
        "user": c.execute(text("SELECT min(id) FROM app_user")).scalar_one(),
        "terminal": c.execute(text("SELECT min(id) FROM access_terminal")).scalar_one(),
    }


def _insert(c: Connection, table: str, refs: dict[str, int], at: datetime, tag: str) -> None:
    """One row of `table` at `at`, marked by `tag` (the access log's record id, the transition's reason, the title)."""
    if table == "access_log":
        c.execute(
            text(
                "INSERT INTO access_log (compound_id, terminal_id, record_id, method, decision, reason, direction,"
                " source, server_at, skew_flagged) VALUES (:c, :t, :tag, 'card', 'allow', 'ok', 'in', 'offline',"
                " :at, false)"
            ),
            {"c": refs["compound"], "t": refs["terminal"], "tag": tag, "at": at},
        )
    elif table == "alarm_transition":
        c.execute(
            text(
                "INSERT INTO alarm_transition (alarm_id, compound_id, action, to_status, reason, at)"
                " VALUES (:a, :c, 'created', 'open', :tag, :at)"
            ),
            {"a": refs["alarm"], "c": refs["compound"], "tag": tag, "at": at},
        )
    else:
        c.execute(
            text(
                "INSERT INTO notification (compound_id, user_id, category, title, body, created_at)"
                " VALUES (:c, :u, 'alarm', :tag, 'body', :at)"
            ),
            {"c": refs["compound"], "u": refs["user"], "tag": tag, "at": at},
        )


_TAG = {"access_log": "record_id", "alarm_transition": "reason", "notification": "title"}


def _where(c: Connection, table: str, tag: str) -> str | None:
    """The partition holding the row tagged `tag` (the table itself on SQLite), None if it is gone."""
    return c.execute(
        text(f"SELECT tableoid::regclass::text FROM {table} WHERE {_TAG[table]} = :tag")
        if DB_KIND == "postgresql"
        else text(f"SELECT '{table}' FROM {table} WHERE {_TAG[table]} = :tag"),
        {"tag": tag},
    ).scalar_one_or_none()


def _snapshot(c: Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        t: [tuple(r) for r in c.execute(text(f"SELECT id, {col} FROM {t} ORDER BY id"))] for t, col in TABLES.items()
    }


def test_migration_converts_the_three_history_tables_in_place_and_back(tmp_path):
    with dedicated_database(tmp_path, "part_hist", seed=True) as (_, engine):
        command.downgrade(alembic_config(), BEFORE)
        now = core_db.utcnow()
        at = [now - timedelta(days=400), now - timedelta(days=35), now, now + timedelta(days=70)]
        with engine.begin() as c:
            refs = _refs(c)
            assert all(refs.values()), refs  # the demo has a compound, an alarm, a user and a terminal
            for table in TABLES:
                for i, t in enumerate(at):
                    _insert(c, table, refs, t, f"mig-{i}")
            before = _snapshot(c)
        upgrade()
        with engine.connect() as c:
            assert _snapshot(c) == before
            keys = c.execute(
                text(
                    "SELECT count(*) FROM access_log_key k JOIN access_log l ON l.id = k.log_id AND l.server_at ="
                    " k.server_at AND l.terminal_id = k.terminal_id AND l.record_id = k.record_id"
                )
            ).scalar_one()
            with_record = c.execute(
                text("SELECT count(*) FROM access_log WHERE terminal_id IS NOT NULL AND record_id IS NOT NULL")
            ).scalar_one()
            assert keys == with_record >= len(at)  # every replayable row has its key, pointing at it
            if DB_KIND == "postgresql":
                for table in TABLES:
                    months = monthly(c, table)
                    assert min(months) == datetime(at[0].year, at[0].month, 1, tzinfo=UTC), table
                    assert f"{table}_pdefault" in partition_names(c, table)
                    assert _where(c, table, "mig-2") == f"{table}_p{now:%Y%m}"
                    nxt = c.execute(text(f"SELECT nextval('{table}_id_seq')")).scalar_one()
                    assert nxt > max(int(str(r[0])) for r in before[table])  # the same sequence goes on
                id_type = (
                    "SELECT data_type FROM information_schema.columns WHERE table_name = :t AND column_name = 'id'"
                )
                assert c.execute(text(id_type), {"t": "access_log"}).scalar_one() == "bigint"
                # R-A8: the append-only triggers sit on the parent and so on every partition
                part = f"alarm_transition_p{now:%Y%m}"
                trig = "SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(:p AS regclass) AND tgname LIKE :n"
                assert c.execute(text(trig), {"p": part, "n": "alarm_transition_no_%"}).scalar_one() == 2
        with engine.connect() as c, pytest.raises(Exception, match="append-only"):
            c.execute(text("UPDATE alarm_transition SET reason = 'x' WHERE reason = 'mig-0'"))
        command.downgrade(alembic_config(), BEFORE)
        with engine.connect() as c:
            assert _snapshot(c) == before
            for table in TABLES:
                assert partition_names(c, table) == []
        with engine.begin() as c:  # the replay key is a unique constraint again
            refs = _refs(c)
            with pytest.raises(IntegrityError), c.begin_nested():
                _insert(c, "access_log", refs, now, "mig-1")
        upgrade()


def test_partition_job_keeps_each_history_table_by_its_own_retention(session):
    """Frozen time: each table's months are created ahead; a month wholly past that table's retention is dropped,
    the month the cutoff falls in and everything newer stay."""
    import anju.handlers  # noqa: F401  (the domains register their tables)

    specs = registered()
    assert {t: specs[t].column for t in TABLES} == TABLES
    if DB_KIND != "postgresql":
        assert all(maintain(datetime(2031, 3, 10, tzinfo=UTC))[t] == ([], []) for t in TABLES)  # single tables
        return
    conn = session.connection()
    refs = _refs(conn)
    march = datetime(2031, 3, 10, tzinfo=UTC)
    done = maintain(march)
    for table in TABLES:
        assert done[table][0] == [f"{table}_p203103", f"{table}_p203104", f"{table}_p203105"], table
        _insert(conn, table, refs, datetime(2031, 3, 20, tzinfo=UTC), "march")
        _insert(conn, table, refs, datetime(2031, 4, 1, tzinfo=UTC), "april")
        _insert(conn, table, refs, datetime(2031, 6, 2, tzinfo=UTC), "june")
        assert _where(conn, table, "march") == f"{table}_p203103"
        assert _where(conn, table, "june") == f"{table}_pdefault"  # no June partition yet
    assert maintain(march) == {t: ([], []) for t in specs}  # idempotent
    june = maintain(datetime(2031, 6, 1, tzinfo=UTC))
    for table in TABLES:
        assert f"{table}_p203106" in june[table][0]
        assert _where(conn, table, "june") == f"{table}_p203106"  # moved out of the default partition
    for table in TABLES:
        spec = specs[table]
        # A day before March's end lies past retention nothing goes; from then on March goes whole, April (the
        # month the cutoff falls in) and everything newer stay.
        assert drop_expired(conn, spec, datetime(2031, 4, 1, tzinfo=UTC) + spec.retention() - timedelta(days=1)) == []
        dropped = drop_expired(conn, spec, datetime(2031, 4, 16, tzinfo=UTC) + spec.retention())
        assert dropped == [f"{table}_p203103"], (table, dropped)
        assert _where(conn, table, "march") is None
        assert _where(conn, table, "april") == f"{table}_p203104"
        assert _where(conn, table, "june") == f"{table}_p203106"
