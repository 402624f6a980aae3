"""Declarative base, engine and the session boundaries that own transactions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from anju.core.config import get_settings

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


def make_engine(url: str, echo: bool = False) -> Engine:
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
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def get_engine() -> Engine:
    global _engine, _sessionmaker
    if _engine is None:
        s = get_settings()
        _engine = make_engine(s.database_url, s.sql_echo)
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
