"""Declarative base, engine and the session boundaries that own transactions."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import Connection, Result
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from anju.core.config import get_settings

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # Every model maps one table (no joined or custom selectables), so core insert/update/delete apply.
        __table__: ClassVar[Table]


_engine: Engine | None = None
_sessionmaker: sessionmaker[Session] | None = None


def make_engine(
    url: str, echo: bool = False, *, prepared_statements: bool = True, connect_timeout: int | None = None
) -> Engine:
    """An engine for `url`. PostgreSQL: `prepared_statements=False` stops psycopg preparing statements (a
    PgBouncer in transaction pooling mode without prepared-statement support); `connect_timeout` in seconds."""
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            # WAL lets the web process read while the worker writes.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "savepoint")
        def _sqlite_begin_before_savepoint(conn: Any, name: Any) -> None:
            # pysqlite only opens a transaction before INSERT/UPDATE/DELETE. A SAVEPOINT
            # issued first would open it instead, and releasing that outermost savepoint
            # is a COMMIT in SQLite: a nested block (or the tests' rollback fixture)
            # would commit for good. Open the real transaction first.
            dbapi_conn = conn.connection.dbapi_connection
            if dbapi_conn is not None and not dbapi_conn.in_transaction:
                dbapi_conn.execute("BEGIN")

        return engine
    connect_args: dict[str, Any] = {}
    if not prepared_statements:
        connect_args["prepare_threshold"] = None
    if connect_timeout is not None:
        connect_args["connect_timeout"] = connect_timeout
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=connect_args)


def get_engine() -> Engine:
    global _engine, _sessionmaker
    if _engine is None:
        s = get_settings()
        _engine = make_engine(s.database_url, s.sql_echo, prepared_statements=s.database_prepared_statements)
        _sessionmaker = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Install an engine (tests, CLI --database-url); None forgets it."""
    global _engine, _sessionmaker
    _engine = engine
    _sessionmaker = sessionmaker(engine, expire_on_commit=False) if engine is not None else None


def new_session() -> Session:
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker()


@contextmanager
def transaction() -> Iterator[Session]:
    """The job/CLI boundary: commit on success, roll back on any error."""
    with new_session() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# Reads that tolerate lag (reports, the 大屏, the district view, hot spots, exports) go to a streaming replica when
# ANJU_DATABASE_READ_URL names one. Everything else, and any read a write follows in the same request, reads the
# primary through new_session().
_read_sessionmaker: sessionmaker[Session] | None = None
_read_engine: Engine | None = None
_read_down_until = 0.0  # time.monotonic(): the replica failed; the primary serves report reads until then
READ_RETRY_SECONDS = 30.0  # how long report reads stay on the primary after the replica failed (at connect or mid-read)
READ_CONNECT_TIMEOUT = 3  # seconds: a replica that does not answer is given up quickly, the primary answers
READ_LAG_CHECK_SECONDS = 5.0  # a process measures the replica's lag at most this often and keeps the answer between
READ_LAG_RECHECK_SECONDS = 1.0  # ... or this often while the answer is unsure (see _measure_lag)
_LAG_SAMPLES = 64  # at most this many of the primary's WAL positions are remembered (see _forget_samples)
_ON_PRIMARY = "report_on_primary"  # session.info: a report session that lost its replica and now reads the primary
_LOST_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})  # the server shuts down, crashed, is not accepting yet


class _LagState:
    """One process's last answer about the replica's lag, and the primary's WAL positions it has seen."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one thread measures; the others use the last answer meanwhile
        self.next_check = -math.inf  # time.monotonic() from which the lag is measured again
        self.off_replica = False  # the last answer: report reads stay off the replica (too far behind, or unsure)
        self.said_lagging = False  # the log says it is too far behind (and will say when it caught up)
        # (asked, answered, pg_current_wal_lsn()): time.monotonic() before and after asking the primary, its position
        self.samples: list[tuple[float, float, int]] = []

    def due(self) -> bool:
        return time.monotonic() >= self.next_check


_lag = _LagState()


def _replica_sessionmaker() -> sessionmaker[Session] | None:
    global _read_engine, _read_sessionmaker
    if _read_sessionmaker is None:
        s = get_settings()
        if not s.database_read_url:
            return None
        _read_engine = make_engine(
            s.database_read_url,
            s.sql_echo,
            prepared_statements=s.database_prepared_statements,
            connect_timeout=READ_CONNECT_TIMEOUT,
        )
        _read_sessionmaker = sessionmaker(_read_engine, expire_on_commit=False)
    return _read_sessionmaker


def set_read_engine(engine: Engine | None) -> None:
    """Install the replica's engine (tests); None forgets it, and report reads look at the settings again. Either
    way the replica counts as up and its lag as unmeasured."""
    global _read_engine, _read_sessionmaker, _read_down_until, _lag
    _read_engine = engine
    _read_sessionmaker = sessionmaker(engine, expire_on_commit=False) if engine is not None else None
    _read_down_until = 0.0
    _lag = _LagState()


def _read_only(session: Session, transaction: Any, connection: Connection) -> None:
    """Each transaction of a report session is read-only, so a mistaken write fails loudly wherever it reads."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif connection.dialect.name == "sqlite":  # no read-only transactions: the connection refuses writes
        dbapi_conn = connection.connection.dbapi_connection
        if dbapi_conn is not None:
            dbapi_conn.execute("PRAGMA query_only = ON")
            session.info.setdefault("query_only", []).append(dbapi_conn)


def _reason(exc: DBAPIError) -> str:
    return (str(exc.orig) if exc.orig is not None else str(exc)).strip().split("\n")[0] or type(exc).__name__


def _replica_down(what: str, exc: DBAPIError) -> None:
    """The replica failed: report reads go to the primary for READ_RETRY_SECONDS, logged with the reason."""
    global _read_down_until
    _read_down_until = time.monotonic() + READ_RETRY_SECONDS
    log.warning("%s, report reads go to the primary for the next %.0f s: %s", what, READ_RETRY_SECONDS, _reason(exc))


def replica_lag(
    samples: Sequence[tuple[float, float, int]], replay_lsn: int | None, replay_age: float | None, now: float
) -> tuple[float, float]:
    """The lag limit's rule: how far, in seconds, the replica's data is behind the primary's, as (at least, at most).

    `samples` are the primary's WAL positions (`pg_current_wal_lsn()`) oldest first, each with the time.monotonic()
    just before and just after asking, all asked before the replica's `replay_lsn` (`pg_last_wal_replay_lsn()`) was
    read; `replay_age` is the replica's `clock_timestamp() - pg_last_xact_replay_timestamp()` in seconds (None: it
    has replayed no transaction since it started).

    At most, the smaller of two bounds:
    - the newest sample the replica has replayed up to: it holds everything the primary had committed when that
      sample was asked, so it is at most that long behind. Having replayed the position asked just now, it is about
      0 behind however old its last replayed transaction is: an idle primary writes no WAL, and that is no lag.
      (With `synchronous_commit = off` a commit may be visible before its WAL is written: the WAL writer's delay.)
    - each transaction it lacks committed after the last one it replayed: at most `replay_age` (clocks agreeing).
      Alone this grows on an idle primary without any lag; it bounds the first check of a process, which has no
      older sample. Neither bound (no sample and no transaction replayed): infinity.
    At least: the oldest sample it has not replayed had been written on the primary when its answer came, so it
    is at least that long behind (0 when it has replayed them all).

    A server not in recovery (`replay_lsn` None, a promoted replica) lags nothing. Comparing only the replica's own
    received and replayed positions would not do: a replica that lost its primary has replayed all it received."""
    if replay_lsn is None:
        return 0.0, 0.0
    replayed = [asked for asked, _, position in samples if position <= replay_lsn]
    missing = [answered for _, answered, position in samples if position > replay_lsn]
    at_least = max(now - missing[0], 0.0) if missing else 0.0
    bounds = [now - replayed[-1]] if replayed else []
    if replay_age is not None:
        bounds.append(replay_age)
    at_most = min(bounds) if bounds else math.inf
    return at_least, max(at_most, at_least)


def _forget_samples(samples: list[tuple[float, float, int]], replay_lsn: int | None) -> None:
    """Keep the samples the rule may still use: from the newest the replica has replayed (older ones bound nothing
    better), and when too many, the oldest it has not replayed (how long it has been behind) and the newest."""
    if replay_lsn is not None:
        replayed = [i for i, (_, _, position) in enumerate(samples) if position <= replay_lsn]
        del samples[: replayed[-1] if replayed else 0]
    while len(samples) > _LAG_SAMPLES:
        del samples[2]  # [0] and [1] are the newest replayed and the oldest missing, or the two oldest missing


def _measure_lag(session: Session, limit: float) -> None:
    """Measure the replica's lag through the session's connection (the replica) and the primary, and keep the answer
    in `_lag`: within the limit at most, on the replica; beyond it at least, off it until it catches up (logged both
    ways); in between (unsure: e.g. a write just came after a quiet spell, and no older sample tells how long ago),
    off it without a word, measured again after READ_LAG_RECHECK_SECONDS. An error on the replica's side is raised;
    the primary's is logged and the last answer stays."""
    state = _lag
    if not state.lock.acquire(blocking=False):
        return  # another thread is measuring: this session uses the last answer
    try:
        if not state.due():
            return
        asked = time.monotonic()
        try:
            with get_engine().connect() as primary:
                position = primary.exec_driver_sql("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint").scalar_one()
        except DBAPIError as exc:
            state.next_check = time.monotonic() + READ_LAG_CHECK_SECONDS
            log.warning(
                "the primary's WAL position could not be read, the replica's lag stays as it was: %s", _reason(exc)
            )
            return
        state.samples.append((asked, time.monotonic(), int(position)))
        replay_lsn, replay_age = (
            session.connection()
            .exec_driver_sql(
                "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, "
                "extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8"
            )
            .one()
        )
        now = time.monotonic()
        at_least, at_most = replica_lag(state.samples, None if replay_lsn is None else int(replay_lsn), replay_age, now)
        unsure = at_least <= limit < at_most
        if at_least > limit and not state.said_lagging:
            log.warning(
                "read replica is %.1f s or more behind the primary (limit %g s, ANJU_DATABASE_READ_MAX_LAG_SECONDS): "
                "report reads go to the primary until it catches up",
                at_least,
                limit,
            )
            state.said_lagging = True
        elif at_most <= limit and state.said_lagging:
            log.info(
                "read replica caught up (%.1f s behind at most, limit %g s): report reads are back on it",
                at_most,
                limit,
            )
            state.said_lagging = False
        elif unsure:
            log.debug(
                "read replica between %.1f and %.1f s behind (limit %g s): the primary for now",
                at_least,
                at_most,
                limit,
            )
        _forget_samples(state.samples, replay_lsn)
        state.off_replica = at_most > limit
        state.next_check = now + (
            min(READ_LAG_RECHECK_SECONDS, READ_LAG_CHECK_SECONDS) if unsure else READ_LAG_CHECK_SECONDS
        )
    finally:
        state.lock.release()


def _lost_connection(exc: DBAPIError) -> bool:
    """Whether the error is the connection's (closed, broken, the server shutting down), not the statement's."""
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _LOST_SQLSTATES


def _read_on_primary_when_the_replica_is_lost(state: ORMExecuteState) -> Result[Any] | None:
    """do_orm_execute of a report session on the replica: a statement whose replica connection is lost mid-request
    (the replica stopped or crashed; not an error of the statement) runs again on the primary, and so does the rest
    of the session; the replica is marked down for READ_RETRY_SECONDS, logged with the reason.

    Safe because it only reads: the session is read-only on the primary too (after_begin sets every transaction it
    begins read-only), and an INSERT, UPDATE or DELETE is never run again. The primary's snapshot may be newer than
    the replica's, which reports tolerate. Objects already loaded stay as the replica gave them."""
    session = state.session
    try:
        return state.invoke_statement()
    except DBAPIError as exc:
        if session.info.get(_ON_PRIMARY) or not _lost_connection(exc):
            raise
        if state.is_insert or state.is_update or state.is_delete:  # a write has no business here: never run again
            _replica_down("read replica lost mid-request (a write through a report session, not run again)", exc)
            raise
        _replica_down("read replica lost mid-request (the read ran again on the primary)", exc)
        session.info[_ON_PRIMARY] = True
        session.bind = get_engine()  # a second connection in the session's transaction, begun read-only
        return state.invoke_statement()


def _report_session_on_replica() -> Session | None:
    """A read-only session connected to the replica, or None: none configured, it does not answer (marked down),
    or it is further behind than ANJU_DATABASE_READ_MAX_LAG_SECONDS (measured every READ_LAG_CHECK_SECONDS)."""
    factory = _replica_sessionmaker()
    if factory is None or time.monotonic() < _read_down_until:
        return None
    limit = get_settings().database_read_max_lag_seconds
    if limit > 0 and _lag.off_replica and not _lag.due():
        return None  # too far behind at the last measurement: not even a connection to it
    session = factory()
    event.listen(session, "after_begin", _read_only)
    try:
        session.connection()  # connect now: a replica that is down is found here, not halfway through a report
        if limit > 0 and _lag.due():
            _measure_lag(session, limit)
    except DBAPIError as exc:
        session.close()
        _replica_down("read replica unreachable", exc)
        return None
    except BaseException:
        session.close()
        raise
    if limit > 0 and _lag.off_replica:
        session.close()
        return None
    event.listen(session, "do_orm_execute", _read_on_primary_when_the_replica_is_lost)
    return session


@contextmanager
def report_session() -> Iterator[Session]:
    """A read-only session for reports and dashboards, which tolerate a replica's lag: the replica
    (ANJU_DATABASE_READ_URL) when one is configured, answers and is at most ANJU_DATABASE_READ_MAX_LAG_SECONDS
    behind, else the primary. Logged when it changes: a replica that does not answer, or whose connection is lost
    mid-request (that read runs again on the primary), is left for READ_RETRY_SECONDS; one too far behind is left
    until it catches up.

    Never commits; every transaction is read-only (PostgreSQL `SET TRANSACTION READ ONLY`, SQLite `query_only`),
    so a write through it fails instead of going anywhere. Use it only for reads no write follows and that may
    be a moment old: a page a form redirects to, or a read that decides a write, uses the request's session."""
    session = _report_session_on_replica()
    if session is None:
        session = new_session()
        event.listen(session, "after_begin", _read_only)
    try:
        yield session
    finally:
        try:
            for dbapi_conn in session.info.pop("query_only", []):  # SQLite: the pooled connection writes again
                dbapi_conn.execute("PRAGMA query_only = OFF")
        finally:
            session.close()
