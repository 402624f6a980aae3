"""Declarative base, engine and the session boundaries that own transactions."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
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
_read_down_until = 0.0  # time.monotonic(): the replica failed to connect; the primary serves reads until then
READ_RETRY_SECONDS = 30.0  # how long reads stay on the primary after the replica failed to connect
READ_CONNECT_TIMEOUT = 3  # seconds: a replica that does not answer is given up quickly, the primary answers


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
    """Install the replica's engine (tests); None forgets it, and report reads look at the settings again."""
    global _read_engine, _read_sessionmaker, _read_down_until
    _read_engine = engine
    _read_sessionmaker = sessionmaker(engine, expire_on_commit=False) if engine is not None else None
    _read_down_until = 0.0


def _read_only(session: Session, transaction: Any, connection: Connection) -> None:
    """Each transaction of a report session is read-only, so a mistaken write fails loudly wherever it reads."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif connection.dialect.name == "sqlite":  # no read-only transactions: the connection refuses writes
        dbapi_conn = connection.connection.dbapi_connection
        if dbapi_conn is not None:
            dbapi_conn.execute("PRAGMA query_only = ON")
            session.info.setdefault("query_only", []).append(dbapi_conn)


def _report_session_on_replica() -> Session | None:
    """A read-only session connected to the replica, or None (none configured, or it does not answer)."""
    global _read_down_until
    factory = _replica_sessionmaker()
    if factory is None or time.monotonic() < _read_down_until:
        return None
    session = factory()
    event.listen(session, "after_begin", _read_only)
    try:
        session.connection()  # connect now: a replica that is down is found here, not halfway through a report
    except OperationalError as exc:
        session.close()
        _read_down_until = time.monotonic() + READ_RETRY_SECONDS
        reason = (str(exc.orig) if exc.orig is not None else str(exc)).strip().split("\n")[0]
        log.warning(
            "read replica unreachable, report reads go to the primary for the next %.0f s: %s",
            READ_RETRY_SECONDS,
            reason or type(exc).__name__,
        )
        return None
    return session


@contextmanager
def report_session() -> Iterator[Session]:
    """A read-only session for reports and dashboards, which tolerate a replica's lag: the replica
    (ANJU_DATABASE_READ_URL) when one is configured and answers, else the primary (unset, or the replica is
    down: logged, and the primary is used for READ_RETRY_SECONDS before the replica is tried again).

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
