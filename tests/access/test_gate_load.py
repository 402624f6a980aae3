"""Gate decisions under load (issue 20 item 14a): anti-passback looks back over a bounded window
through an index; on SQLite a decision waits a bounded time for the writer's turn, then says busy."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from anju.access.config import access_settings
from anju.access.enums import Decision, Method
from anju.access.models import AccessLog
from anju.core.db import utcnow
from tests.access.conftest import LI, terminal_headers
from tests.conftest import DB_KIND

GATE = "南门人行"


class TestAntiPassbackWindow:
    def test_gate_decision_anti_passback_only_looks_back_over_the_window(
        self, client, login, decide, south, points, ids, session
    ):
        r = client.patch(
            f"/api/v1/access/points/{points[GATE]}", headers=login("manager_wang"), json={"anti_passback": True}
        )
        assert r.status_code == 200
        window = access_settings().anti_passback_window_seconds
        session.add(
            AccessLog(
                compound_id=ids["A"],
                access_point_id=points[GATE],
                method=Method.card,
                decision=Decision.allow,
                reason="ok",
                direction="in",
                person_id=ids["li_person"],
                server_at=utcnow() - timedelta(seconds=window + 60),
            )
        )
        session.flush()
        # Last seen going in, but longer ago than the window: forgotten, so in again is allowed.
        assert decide(south, points[GATE], "card", LI)["decision"] == "allow"
        assert decide(south, points[GATE], "card", LI)["reason"] == "anti_passback"

    def test_gate_decision_last_passage_query_walks_the_person_index(self, session, ids):
        from anju.access.repository import _LAST_PASSAGE

        params = {"person": ids["li_person"], "compound": ids["A"], "since": utcnow() - timedelta(hours=12)}
        if DB_KIND == "postgresql":
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny test table is cheaper to scan
            # On a near-empty table the planner may as well take the rollups' (compound, time) index; at scale
            # the person index wins. Dropped inside the test's transaction (rolled back), so only the person
            # index is on offer and the test checks that the query can walk it.
            session.execute(text("DROP INDEX IF EXISTS ix_access_log_compound_server_at"))
        plan = " ".join(str(row) for row in _explain(session, _LAST_PASSAGE, params))
        person_indexes = {"ix_access_log_person_compound_at"}
        if DB_KIND == "postgresql":
            # access_log is partitioned by month there: each partition scans its own copy of the index.
            person_indexes |= set(
                session.execute(
                    text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'ix_access_log_person_compound_at'"
                    )
                ).scalars()
            )
            assert "Seq Scan" not in plan, plan
        assert any(name in plan for name in person_indexes), plan


def _explain(session, stmt, params):
    """The database's plan for a statement, with its parameters processed as for a real execution."""
    conn = session.connection()
    compiled = stmt.compile(dialect=conn.dialect)
    procs = compiled._bind_processors
    values = {k: procs[k](v) if k in procs else v for k, v in compiled.construct_params(params).items()}
    args = tuple(values[k] for k in compiled.positiontup) if compiled.positional else values
    prefix = "EXPLAIN" if conn.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    return conn.exec_driver_sql(f"{prefix} {compiled}", args).all()


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite's single writer")
class TestSqliteWriterTurn:
    def test_gate_decision_on_a_locked_sqlite_answers_busy_in_bounded_time(self, tmp_path, monkeypatch):
        from fastapi.testclient import TestClient

        from anju.main import create_app
        from tests.core.databases import dedicated_database

        monkeypatch.setattr(access_settings(), "sqlite_write_wait_seconds", 0.3)
        with dedicated_database(tmp_path, "gate_busy", seed=True) as (url, engine):
            with engine.connect() as c:
                gate = c.execute(
                    select(text("id")).select_from(text("access_point")).where(text("name = :n")), {"n": GATE}
                ).scalar_one()
            body = {"access_point_id": gate, "credential": {"kind": "card", "value": LI}}
            other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.1, isolation_level=None)
            with TestClient(create_app(), raise_server_exceptions=False) as client:
                other.execute("BEGIN IMMEDIATE")  # another process (the worker, say) holds the write lock
                try:
                    r = client.post("/api/v1/terminals/decisions", headers=terminal_headers("south"), json=body)
                    # Before: the decision waited 30 s for the lock, then 500 "database is locked".
                    assert r.status_code == 503, r.text
                    assert r.json()["error"]["code"] == "busy"
                finally:
                    other.execute("ROLLBACK")
                    other.close()
                r = client.post("/api/v1/terminals/decisions", headers=terminal_headers("south"), json=body)
                assert r.status_code == 200 and r.json()["decision"] == "allow"
            engine.dispose()

    def test_gate_decision_on_sqlite_parallel_load_gets_answers_not_errors(self, tmp_path):
        import threading

        from fastapi.testclient import TestClient

        from anju.main import create_app
        from tests.core.databases import dedicated_database

        with dedicated_database(tmp_path, "gate_load", seed=True) as (_, engine):
            with engine.connect() as c:
                gate = c.execute(
                    select(text("id")).select_from(text("access_point")).where(text("name = :n")), {"n": GATE}
                ).scalar_one()
            headers = terminal_headers("south")
            tally: Counter[str] = Counter()
            lock = threading.Lock()
            with TestClient(create_app(), raise_server_exceptions=False) as client:
                client.post("/api/v1/terminals/decisions", headers=headers, json={})  # warm the device-key cache

                def run(i: int) -> None:
                    for k in range(6):
                        body = {"access_point_id": gate, "credential": {"kind": "card", "value": f"{i:04X}{k:04X}"}}
                        r = client.post("/api/v1/terminals/decisions", headers=headers, json=body)
                        key = r.json().get("reason") if r.status_code == 200 else f"{r.status_code}:{r.text[:80]}"
                        with lock:
                            tally[key] += 1

                threads = [threading.Thread(target=run, args=(i,)) for i in range(24)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(120)
            assert sum(tally.values()) == 24 * 6
            assert set(tally) <= {"unknown_credential", '503:{"error":{"code":"busy"'}, tally
            engine.dispose()
