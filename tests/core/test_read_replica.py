"""The read-replica path (issue 19 item 6): reports and dashboards read a streaming replica, everything else and
every write the primary; the replica's session cannot write; a replica that is down or lagging never fails a
report and never serves a write.

A private primary (wal_level=replica, a replication line in pg_hba) and a streaming replica made from it with
`pg_basebackup -R` are started with Debian's binaries on two free ports, once for the module; the primary is
migrated with the project's Alembic and seeded with the demo. The report session's own checks (read-only on the
primary when no replica is configured) run on both databases through the test's rolled-back session.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import math
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, column, create_engine, event, insert, table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from anju.core import db as core_db
from anju.core.config import reset_settings
from anju.core.crypto import reset_keys
from tests.conftest import DB_KIND, migrate_and_seed, service_unavailable, shared_app


def test_a_write_through_the_report_session_is_refused_when_it_reads_the_primary(session: Session) -> None:
    """No replica configured: report reads use the primary, still in a read-only transaction."""
    with core_db.report_session() as s:
        assert s.execute(text("SELECT count(*) FROM compound")).scalar_one() >= 1
        with pytest.raises(DBAPIError, match=r"read-only|readonly"):
            s.execute(text("UPDATE compound SET name = name"))
    # The request's own session writes as before (the read-only mode did not outlive the report session).
    session.execute(text("UPDATE compound SET name = name"))


# --- a private primary and its streaming replica --------------------------------------------------------------


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        service_unavailable(f"PostgreSQL server binaries ({name}) under /usr/lib/postgresql/*/bin")
    return found[-1]


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    done = subprocess.run(_as_postgres(args), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}\n{done.stderr}"


@dataclass
class Pair:
    root: Path
    primary_port: int
    replica_port: int

    def url(self, port: int, db: str = "anju") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{db}"

    @property
    def primary_url(self) -> str:
        return self.url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return self.url(self.replica_port)

    def start(self, name: str, port: int) -> None:
        data = str(self.root / name)
        _run([_bin("pg_ctl"), "-D", data, "-l", f"{data}.log", "-w", "-t", "60", "-o", f"-p {port}", "start"])

    def stop(self, name: str, mode: str = "fast") -> None:
        """Stop a server: "fast" (sessions are ended cleanly), "immediate" (as a crash: connections drop)."""
        _run([_bin("pg_ctl"), "-D", str(self.root / name), "-m", mode, "-w", "stop"])


def _one(engine: Engine, sql: str) -> Any:
    with engine.connect() as c:
        return c.execute(text(sql)).scalar_one()


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    if DB_KIND != "postgresql":
        pytest.skip("a streaming replica is PostgreSQL's (ANJU_DATABASE_READ_URL is refused with SQLite)")
    for name in ("initdb", "pg_ctl", "pg_basebackup"):
        _bin(name)
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        service_unavailable("runuser (to run PostgreSQL as the postgres user)")
    root = Path(tempfile.mkdtemp(prefix="anju_replica_"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary_port, replica_port = _free_ports(2)
    p = Pair(root, primary_port, replica_port)
    started: list[str] = []
    saved_env = {k: os.environ.get(k) for k in ("ANJU_DATABASE_URL", "ANJU_DATABASE_READ_URL")}
    saved_engine, saved_factory = core_db._engine, core_db._sessionmaker
    engines: list[Engine] = []
    try:
        primary = root / "primary"
        _run([_bin("initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        with open(primary / "postgresql.conf", "a") as f:
            f.write(
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        with open(primary / "pg_hba.conf", "a") as f:
            f.write("host replication postgres 127.0.0.1/32 trust\n")
        p.start("primary", primary_port)
        started.append("primary")
        admin = create_engine(p.url(primary_port, "postgres"), isolation_level="AUTOCOMMIT")
        engines.append(admin)
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE anju"))
        _run(
            [
                _bin("pg_basebackup"),
                *("-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"),
                *("-D", str(root / "replica"), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"),
            ]
        )
        p.start("replica", replica_port)
        started.append("replica")
        # The project's migrations and the demo world, written to the primary only.
        migrate_and_seed(p.primary_url)
        yield p
    finally:
        core_db.set_read_engine(None)
        if core_db._engine is not None and core_db._engine is not saved_engine:
            core_db._engine.dispose()
        core_db._engine, core_db._sessionmaker = saved_engine, saved_factory
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()
        reset_keys()
        for e in engines:
            e.dispose()
        for name in reversed(started):
            with contextlib.suppress(AssertionError):  # already stopped
                p.stop(name)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def engines(pair: Pair) -> Iterator[tuple[Engine, Engine]]:
    """Direct connections to the primary and the replica (to look, not through the app)."""
    primary, replica = create_engine(pair.primary_url), create_engine(pair.replica_url)
    try:
        yield primary, replica
    finally:
        primary.dispose()
        replica.dispose()


@pytest.fixture
def configured(pair: Pair) -> Iterator[None]:
    """ANJU_DATABASE_URL = the primary, ANJU_DATABASE_READ_URL = the replica, as a deployment sets them."""
    os.environ["ANJU_DATABASE_URL"] = pair.primary_url
    os.environ["ANJU_DATABASE_READ_URL"] = pair.replica_url
    reset_settings()
    core_db.set_read_engine(None)  # report reads find the replica in the settings
    try:
        yield
    finally:
        core_db.set_read_engine(None)
        os.environ.pop("ANJU_DATABASE_READ_URL", None)
        reset_settings()


def _caught_up(primary: Engine, replica: Engine) -> None:
    """Wait until the replica has replayed everything the primary has committed so far."""
    # Commits here are asynchronous (synchronous_commit = off): pg_current_wal_lsn() may not cover the last ones yet.
    # A synchronous commit of a transaction that wrote WAL (a transactional message) flushes everything before it.
    with primary.begin() as c:
        c.execute(text("SET LOCAL synchronous_commit = on"))
        c.execute(text("SELECT pg_logical_emit_message(true, 'anju-test', 'caught up?')"))
    target = _one(primary, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 60
    while not _one(replica, f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
        assert time.monotonic() < deadline, "the replica did not replay the primary's writes"
        time.sleep(0.1)


def _bearer(username: str) -> dict[str, str]:
    from tests.accounts.tokens import bearer_for

    with core_db.transaction() as s:  # the primary: sessions are written there
        return bearer_for(s, username)


def _compound_a() -> int:
    with core_db.new_session() as s:
        return int(s.execute(text("SELECT id FROM compound WHERE code = 'SFXQ'")).scalar_one())


@pytest.mark.postgres
def test_report_reads_go_to_the_replica_which_refuses_writes(configured: None, engines: tuple[Engine, Engine]) -> None:
    primary, replica = engines
    _caught_up(primary, replica)
    with core_db.report_session() as s:
        assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
        assert s.execute(text("SELECT current_setting('port')")).scalar_one() == str(replica.url.port)
        assert s.execute(text("SELECT count(*) FROM compound")).scalar_one() >= 2  # the demo, replayed
        with pytest.raises(DBAPIError, match="read-only transaction"):
            s.execute(text("UPDATE compound SET name = name"))
    with core_db.new_session() as s:  # everything else reads and writes the primary
        assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False


@pytest.mark.postgres
def test_a_lagging_replica_never_serves_a_write_and_shows_it_after_replay(
    configured: None, engines: tuple[Engine, Engine]
) -> None:
    primary, replica = engines
    client = _client()
    headers = _bearer("manager_wang")  # signed in after the pause below: authentication reads the primary
    compound = _compound_a()
    _caught_up(primary, replica)
    with replica.connect() as c:
        c.execute(text("SELECT pg_wal_replay_pause()"))
        c.commit()
    try:
        r = client.post(
            "/api/v1/analytics/reports",
            headers=_bearer("manager_wang"),
            json={"compound_id": compound, "kind": "month", "day": "2025-01-20"},
        )
        assert r.status_code == 201, r.text
        report_id = r.json()["id"]
        # The write went to the primary ...
        assert _one(primary, f"SELECT count(*) FROM security_report WHERE id = {report_id}") == 1
        # ... and the report read is the replica's, a moment behind: not there yet, never served from a write path.
        assert _one(replica, f"SELECT count(*) FROM security_report WHERE id = {report_id}") == 0
        assert client.get(f"/api/v1/analytics/reports/{report_id}", headers=headers).status_code == 404
        listed = client.get("/api/v1/analytics/reports", params={"compound_id": compound}, headers=headers)
        assert listed.status_code == 200 and report_id not in {x["id"] for x in listed.json()}
        # A write sent while the replica lags still lands on the primary.
        plan = client.put(
            f"/api/v1/analytics/reports/{report_id}/rectification", headers=headers, json={"text": "加强夜间巡逻"}
        )
        assert plan.status_code == 200, plan.text
        assert _one(primary, f"SELECT rectification FROM security_report WHERE id = {report_id}") == "加强夜间巡逻"
    finally:
        with replica.connect() as c:
            c.execute(text("SELECT pg_wal_replay_resume()"))
            c.commit()
    _caught_up(primary, replica)
    r = client.get(f"/api/v1/analytics/reports/{report_id}", headers=headers)
    assert r.status_code == 200
    assert r.json()["rectification"] == "加强夜间巡逻"


@pytest.mark.postgres
def test_a_stopped_replica_sends_report_reads_to_the_primary_and_says_why(
    pair: Pair, configured: None, engines: tuple[Engine, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    primary, replica = engines
    client = _client()
    headers = _bearer("manager_wang")
    _caught_up(primary, replica)
    replica.dispose()
    pair.stop("replica")
    try:
        with caplog.at_level(logging.WARNING, logger="anju.core.db"):
            r = client.get("/api/v1/analytics/reports", params={"compound_id": _compound_a()}, headers=headers)
        assert r.status_code == 200, r.text
        assert any("read replica unreachable" in m for m in caplog.messages), caplog.messages
        with core_db.report_session() as s:  # the primary now, still read-only
            assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
            with pytest.raises(DBAPIError, match="read-only transaction"):
                s.execute(text("UPDATE compound SET name = name"))
    finally:
        pair.start("replica", pair.replica_port)


# --- issue 19: the lag limit, and a replica lost mid-request -------------------------------------------------


def _report_reads_the_replica() -> bool:
    with core_db.report_session() as s:
        return bool(s.execute(text("SELECT pg_is_in_recovery()")).scalar_one())


def _replay(replica: Engine, action: str) -> None:
    with replica.connect() as c:
        c.execute(text(f"SELECT pg_wal_replay_{action}()"))
        c.commit()


class _Statements:
    """Counts the statements any engine sends whose text contains one of `needles`."""

    def __init__(self, *needles: str) -> None:
        self.needles, self.n = needles, 0

    def _seen(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self.n += any(x in statement for x in self.needles)

    def __enter__(self) -> _Statements:
        event.listen(Engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._seen)


@pytest.mark.db_agnostic
def test_replica_lag_rule_i19() -> None:
    """The lag limit's rule (core.db.replica_lag), as (at least, at most) seconds behind: the newest of the primary's
    WAL positions the replica has replayed bounds the lag from above by its age, and so does the last replayed
    transaction's age; the oldest position it has not replayed bounds it from below."""

    def rule(positions: list[tuple[float, int]], replay_lsn: int | None, replay_age: float | None, now: float) -> Any:
        samples = [(t, t + 0.01, position) for t, position in positions]  # each answered 10 ms after it was asked
        return pytest.approx(core_db.replica_lag(samples, replay_lsn, replay_age, now))

    # An idle primary: its position has not moved and the replica has replayed it. Its last replayed transaction is
    # ten minutes old, which is no lag.
    assert rule([(0.0, 100), (5.0, 100), (10.0, 100)], 100, 600.0, 10.05) == (0.0, 0.05)
    # Behind: it has the position asked at 0 s, not those of 5 and 10 s; its last transaction is older still.
    assert rule([(0.0, 100), (5.0, 200), (10.0, 300)], 150, 600.0, 10.0) == (4.99, 10.0)
    # A replica that lost its primary has replayed all it received; the primary went on for 40 s.
    assert rule([(0.0, 100), (20.0, 200), (40.0, 300)], 100, 41.0, 40.0) == (19.99, 40.0)
    # The first check of a process after a quiet spell, a write just made: not one older position to go by.
    # Somewhere between 0 and the last replayed transaction's age (unsure: off the replica, measured again soon).
    assert rule([(10.0, 300)], 150, 600.0, 10.02) == (0.01, 600.0)
    assert rule([(10.0, 300)], 150, None, 10.02) == (0.01, math.inf)  # nothing replayed since it started
    assert rule([(10.0, 300)], 300, None, 10.02) == (0.0, 0.02)  # replayed all the primary has
    assert rule([(10.0, 300)], None, None, 10.02) == (0.0, 0.0)  # not in recovery (a promoted replica)
    # What a process keeps: from the newest replayed position on; when too many, the oldest missing one too.
    samples = [(float(t), t + 0.01, 100 * t) for t in range(10)]
    core_db._forget_samples(samples, 450)
    assert [position for _, _, position in samples] == [400, 500, 600, 700, 800, 900]
    samples = [(float(t), t + 0.01, 100 + t) for t in range(core_db._LAG_SAMPLES + 10)]
    core_db._forget_samples(samples, 100)
    assert len(samples) == core_db._LAG_SAMPLES and samples[1][2] == 101 and samples[-1][2] == 100 + len(samples) + 9


@pytest.mark.postgres
def test_replica_lag_limit_i19(
    configured: None,
    engines: tuple[Engine, Engine],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 19: a replica further behind than ANJU_DATABASE_READ_MAX_LAG_SECONDS serves no report read: they go to
    the primary (read-only there too: the lagging replica never serves a write), logged with the reason, until it
    catches up. Between measurements (READ_LAG_CHECK_SECONDS) report sessions ask neither server about the lag."""
    primary, replica = engines
    monkeypatch.setenv("ANJU_DATABASE_READ_MAX_LAG_SECONDS", "1")
    reset_settings()
    monkeypatch.setattr(core_db, "READ_LAG_CHECK_SECONDS", 0.0)  # measure at every report session
    with primary.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS lag_probe_i19 (n int)"))
    _caught_up(primary, replica)
    assert _report_reads_the_replica()
    _replay(replica, "pause")
    try:
        with primary.begin() as c:  # a write the paused replica does not replay
            c.execute(text("INSERT INTO lag_probe_i19 VALUES (1)"))
        with caplog.at_level(logging.INFO, logger="anju.core.db"):
            deadline = time.monotonic() + 30
            while _report_reads_the_replica() or not any("read replica is" in m for m in caplog.messages):
                assert time.monotonic() < deadline, "report reads stayed on a replica further behind than the limit"
                time.sleep(0.2)
            with core_db.report_session() as s:  # the primary's data, in a read-only transaction
                assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
                assert s.execute(text("SELECT count(*) FROM lag_probe_i19")).scalar_one() == 1
                with pytest.raises(DBAPIError, match="read-only transaction"):
                    s.execute(text("INSERT INTO lag_probe_i19 VALUES (2)"))
        lagged = [m for m in caplog.messages if "read replica is" in m]
        assert len(lagged) == 1, caplog.messages  # said once, not at every report read
        assert "s or more behind the primary (limit 1 s" in lagged[0] and "report reads go to the primary" in lagged[0]
        assert _one(replica, "SELECT count(*) FROM lag_probe_i19") == 0  # still behind
    finally:
        _replay(replica, "resume")
    _caught_up(primary, replica)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="anju.core.db"):
        assert _report_reads_the_replica()
    assert any("read replica caught up" in m for m in caplog.messages), caplog.messages
    with primary.begin() as c:
        assert c.execute(text("SELECT count(*) FROM lag_probe_i19")).scalar_one() == 1  # nothing written through it
    # Cheap: until the next measurement is due, a report session asks neither server about the lag.
    monkeypatch.setattr(core_db, "READ_LAG_CHECK_SECONDS", 3600.0)
    with _Statements("pg_last_wal_replay_lsn", "pg_current_wal_lsn") as asked:
        for _ in range(5):
            assert _report_reads_the_replica()
    assert asked.n == 2  # one measurement (due since the last one): the primary's position, the replica's replay
    # 0 turns the limit off: no measurement at all, however often one would be due.
    monkeypatch.setenv("ANJU_DATABASE_READ_MAX_LAG_SECONDS", "0")
    reset_settings()
    monkeypatch.setattr(core_db, "READ_LAG_CHECK_SECONDS", 0.0)
    with _Statements("pg_last_wal_replay_lsn", "pg_current_wal_lsn") as asked:
        for _ in range(3):
            assert _report_reads_the_replica()
    assert asked.n == 0


@pytest.mark.postgres
def test_replica_lost_between_statements_of_a_report_request_i19(
    pair: Pair, configured: None, engines: tuple[Engine, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: the replica crashes (immediate stop: its connections drop) after a report request's session began
    on it, just before the report's query goes out: the request still answers 200, from the primary (it lists a
    report the paused replica had not replayed), the log names the reason, and report reads stay on the primary,
    read-only."""
    primary, replica = engines
    client = _client()
    headers = _bearer("manager_wang")
    compound = _compound_a()
    _caught_up(primary, replica)
    _replay(replica, "pause")
    killed: list[str] = []

    def crash_the_replica_before_the_report_query(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if conn.engine is core_db._read_engine and "FROM security_report" in statement and not killed:
            killed.append(statement)
            pair.stop("replica", "immediate")

    try:
        r = client.post(
            "/api/v1/analytics/reports",
            headers=headers,
            json={"compound_id": compound, "kind": "month", "day": "2025-03-10"},
        )
        assert r.status_code == 201, r.text
        report_id = r.json()["id"]
        event.listen(Engine, "before_cursor_execute", crash_the_replica_before_the_report_query)
        try:
            with caplog.at_level(logging.WARNING, logger="anju.core.db"):
                listed = client.get("/api/v1/analytics/reports", params={"compound_id": compound}, headers=headers)
        finally:
            event.remove(Engine, "before_cursor_execute", crash_the_replica_before_the_report_query)
        assert killed, "the report's query never went to the replica"
        assert listed.status_code == 200, listed.text
        assert report_id in {x["id"] for x in listed.json()}  # the primary's answer: the replica had not replayed it
        lost = [m for m in caplog.messages if "read replica lost mid-request" in m]
        assert len(lost) == 1, caplog.messages
        assert "report reads go to the primary for the next 30 s: " in lost[0] and lost[0].split(" s: ", 1)[1]
        with core_db.report_session() as s:  # marked down: the next report reads go to the primary, read-only
            assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
            with pytest.raises(DBAPIError, match="read-only transaction"):
                s.execute(text("UPDATE compound SET name = name"))
    finally:
        replica.dispose()
        if killed:
            pair.start("replica", pair.replica_port)  # replay runs again after a restart
        else:
            _replay(replica, "resume")


@pytest.mark.postgres
def test_a_write_is_never_run_again_when_the_replica_connection_is_lost_i19(
    configured: None, engines: tuple[Engine, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: only reads move to the primary. The report session's replica connection is ended (as a server
    restart or a pooler would: pg_terminate_backend), then a write is attempted through it: it fails with the lost
    connection, is not run again on the primary (nothing lands there), and the replica is marked down, logged."""
    primary, replica = engines
    with primary.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS write_probe_i19 (n int)"))
    _caught_up(primary, replica)
    probe = table("write_probe_i19", column("n"))
    with caplog.at_level(logging.WARNING, logger="anju.core.db"), core_db.report_session() as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
        assert _one(replica, f"SELECT pg_terminate_backend({pid})") is True
        with pytest.raises(DBAPIError) as raised:
            s.execute(insert(probe).values(n=1))
        assert raised.value.connection_invalidated  # the lost connection, not a read-only refusal from anywhere
    assert _one(primary, "SELECT count(*) FROM write_probe_i19") == 0
    lost = [m for m in caplog.messages if "read replica lost mid-request" in m]
    assert len(lost) == 1 and "not run again" in lost[0], caplog.messages
    assert not _report_reads_the_replica()  # marked down: report reads go to the primary for a while


@pytest.mark.postgres
def test_replica_killed_while_a_report_read_runs_i19(
    pair: Pair, configured: None, engines: tuple[Engine, Engine], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 19: the replica crashes while a report's statement runs on it: that statement runs again on the primary
    and returns the primary's answer, the rest of the session reads the primary (read-only), and the log says why.
    The statement sleeps only where it is in recovery, so it ends on the primary at once."""
    primary, replica = engines
    _caught_up(primary, replica)
    marker = "pg_sleep(600)"
    slow_on_the_replica = text(f"SELECT CASE WHEN pg_is_in_recovery() THEN {marker}::text END, pg_is_in_recovery()")
    problems: list[str] = []

    def crash_when_it_runs() -> None:
        deadline = time.monotonic() + 60
        try:
            while not _one(
                replica,
                f"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND pid <> pg_backend_pid()",
            ):
                if time.monotonic() > deadline:
                    problems.append("the report's statement never ran on the replica")
                    break
                time.sleep(0.05)
        finally:
            pair.stop("replica", "immediate")

    crasher = threading.Thread(target=crash_when_it_runs)
    try:
        with caplog.at_level(logging.WARNING, logger="anju.core.db"), core_db.report_session() as s:
            assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is True
            crasher.start()
            assert s.execute(slow_on_the_replica).one() == (None, False)  # answered by the primary
            assert s.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
            with pytest.raises(DBAPIError, match="read-only transaction"):
                s.execute(text("UPDATE compound SET name = name"))
        assert not problems, problems
        assert any("read replica lost mid-request" in m for m in caplog.messages), caplog.messages
    finally:
        if crasher.is_alive() or crasher.ident is not None:
            crasher.join()
        replica.dispose()
        if crasher.ident is not None:
            pair.start("replica", pair.replica_port)


def _client() -> Any:
    from fastapi.testclient import TestClient

    return TestClient(shared_app(), raise_server_exceptions=False)


@pytest.mark.db_agnostic
def test_a_read_url_is_refused_with_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    from anju.core.config import Settings

    monkeypatch.setenv("ANJU_DATABASE_URL", "sqlite:///./x.db")
    monkeypatch.setenv("ANJU_DATABASE_READ_URL", "postgresql+psycopg://anju@replica/anju")
    with pytest.raises(ValueError, match="ANJU_DATABASE_READ_URL"):
        Settings()


@pytest.mark.postgres
def test_through_pgbouncer_in_transaction_pooling_with_prepared_statements_off(
    pair: Pair, configured: None, engines: tuple[Engine, Engine]
) -> None:
    """Debian's PgBouncer (1.18: no prepared statements across server connections) in transaction pooling mode
    in front of the primary, with ANJU_DATABASE_PREPARED_STATEMENTS=false: reads and writes through the app work,
    and psycopg never prepares (each query run more often than its default threshold of 5)."""
    pgbouncer = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(pgbouncer).exists():
        service_unavailable("pgbouncer (Debian package pgbouncer)")
    (port,) = _free_ports(1)
    root = pair.root
    (root / "users.txt").write_text('"postgres" ""\n')
    ini = root / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"anju = host=127.0.0.1 port={pair.primary_port} dbname=anju\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {root / 'users.txt'}\n"
        "pool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 50\n"
        f"logfile = {root / 'pgbouncer.log'}\npidfile = {root / 'pgbouncer.pid'}\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
    )
    if os.geteuid() == 0:
        for f in ("users.txt", "pgbouncer.ini"):
            shutil.chown(root / f, "postgres", "postgres")
    _run([pgbouncer, "-d", str(ini)])
    saved_engine, saved_factory = core_db._engine, core_db._sessionmaker
    os.environ["ANJU_DATABASE_URL"] = pair.url(port)
    os.environ["ANJU_DATABASE_PREPARED_STATEMENTS"] = "false"
    reset_settings()
    core_db.set_engine(None)
    try:
        deadline = time.monotonic() + 30
        while not (root / "pgbouncer.pid").exists() or not _port_open(port):
            assert time.monotonic() < deadline, "pgbouncer did not start"
            time.sleep(0.1)
        assert _prepared_statement_survives_pooling(port, prepare_threshold=None)
        assert not _prepared_statement_survives_pooling(port, prepare_threshold=0)  # what psycopg does by default
        client = _client()
        headers = _bearer("manager_wang")  # a write through PgBouncer
        compound = _compound_a()
        engine = core_db.get_engine()
        with engine.connect() as c:
            assert c.connection.dbapi_connection.prepare_threshold is None  # type: ignore[union-attr]
            assert c.execute(text("SELECT current_setting('port')")).scalar_one() == str(pair.primary_port)
        for _ in range(8):  # past psycopg's default threshold of 5 executions of the same statements
            r = client.get("/api/v1/analytics/reports", params={"compound_id": compound}, headers=headers)
            assert r.status_code == 200, r.text
        r = client.post(
            "/api/v1/analytics/reports",
            headers=headers,
            json={"compound_id": compound, "kind": "month", "day": "2025-02-10"},
        )
        assert r.status_code == 201, r.text
        primary, _ = engines
        assert _one(primary, f"SELECT count(*) FROM security_report WHERE id = {r.json()['id']}") == 1
    finally:
        if core_db._engine is not None:
            core_db._engine.dispose()
        core_db._engine, core_db._sessionmaker = saved_engine, saved_factory
        os.environ["ANJU_DATABASE_URL"] = pair.primary_url
        os.environ.pop("ANJU_DATABASE_PREPARED_STATEMENTS", None)
        reset_settings()
        pid = (root / "pgbouncer.pid").read_text().strip() if (root / "pgbouncer.pid").exists() else ""
        if pid.isdigit():
            os.kill(int(pid), 15)  # the pgbouncer this test started


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _prepared_statement_survives_pooling(port: int, *, prepare_threshold: int | None) -> bool:
    """Run one statement twice on a client connection whose server connection changed in between (transaction
    pooling hands it another while a second client holds the first): does the second run work?"""
    import psycopg

    conninfo = f"host=127.0.0.1 port={port} dbname=anju user=postgres"
    with (
        psycopg.connect(conninfo, autocommit=True, prepare_threshold=prepare_threshold) as a,
        psycopg.connect(conninfo, autocommit=True) as b,
    ):
        a.execute("SELECT 42").fetchone()  # on server connection X (prepared there when threshold is 0)
        with b.transaction():
            b.execute("SELECT 1").fetchone()  # b holds X for its transaction
            try:
                a.execute("SELECT 42").fetchone()  # on server connection Y
            except psycopg.errors.InvalidSqlStatementName:
                return False
    return True
