"""Issue 11 item 9: on SQLite a write request that meets "database is locked" is retried, never a 500."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import text

from anju.core import db as core_db
from anju.core.deps import WriteSession
from anju.core.sqlite_retry import SQLiteLockRetry, is_lock_error


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "busy.db"
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    previous = core_db._engine
    engine = core_db.make_engine(f"sqlite:///{path}")
    core_db.set_engine(engine)
    try:
        yield path
    finally:
        engine.dispose()
        core_db.set_engine(previous)


def _app(path: Path, *, retry: bool) -> FastAPI:
    """An endpoint shaped like the roster import: it reads inside its transaction, then writes,
    while another writer (the simulator) commits in between."""
    app = FastAPI()
    attempts: list[int] = []

    @app.post("/import")
    def import_like(session: WriteSession) -> JSONResponse:
        attempts.append(1)
        with session.begin_nested():
            before = session.execute(text("SELECT count(*) FROM t")).scalar_one()
            rival = sqlite3.connect(path, timeout=0.2)  # the simulator writes and commits
            try:
                rival.execute("INSERT INTO t (v) VALUES ('simulator')")
                rival.commit()
            except sqlite3.OperationalError:
                pass  # the request holds the write lock (the retry): the simulator waits its turn
            finally:
                rival.close()
            session.execute(text("INSERT INTO t (v) VALUES ('import')"))
        return JSONResponse({"seen_before": before, "attempts": len(attempts)})

    if retry:
        app.add_middleware(SQLiteLockRetry)
    return app


def test_sqlite_busy_snapshot_was_a_500_without_the_retry(sqlite_file: Path) -> None:
    client = TestClient(_app(sqlite_file, retry=False), raise_server_exceptions=False)
    assert client.post("/import").status_code == 500


def test_sqlite_busy_request_is_retried_with_the_write_lock_and_shows_the_real_outcome(sqlite_file: Path) -> None:
    client = TestClient(_app(sqlite_file, retry=True), raise_server_exceptions=False)
    r = client.post("/import", content=b"x" * 10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["attempts"] == 2
    assert body["seen_before"] == 1  # the retry read the simulator's committed row: the real state
    with sqlite3.connect(sqlite_file) as c:
        rows = [v for (v,) in c.execute("SELECT v FROM t ORDER BY id")]
    assert rows == ["simulator", "import"]  # the failed attempt left nothing behind


def test_sqlite_busy_is_lock_error_reads_the_cause() -> None:
    try:
        try:
            raise sqlite3.OperationalError("database is locked")
        except sqlite3.OperationalError as e:
            raise RuntimeError("wrapped") from e
    except RuntimeError as outer:
        assert is_lock_error(outer)
    assert not is_lock_error(ValueError("is locked"))
