"""Queries of the accounts domain that need more than a session.get()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from anju.accounts.models import AttemptCounter, LoginAttempt

_HOLD: dict[str, Any] = {}


def _hold_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE … RETURNING: create or lock a counter row in one statement.

    The update restarts an expired window. On PostgreSQL the row stays locked until the caller's
    transaction ends; on SQLite the statement takes the database's write lock. Either way the next
    attempt on the key reads the count only after this one has added its failure.
    """
    stmt = _HOLD.get(dialect)
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        t = AttemptCounter.__table__
        ins = insert(t).values(key=bindparam("key"), window_start=bindparam("now"), failures=0, alarmed=False)
        expired = t.c.window_start < bindparam("since")
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "window_start": case((expired, bindparam("now")), else_=t.c.window_start),
                "failures": case((expired, 0), else_=t.c.failures),
                "alarmed": case((expired, False), else_=t.c.alarmed),
            },
        ).returning(t.c.failures, t.c.alarmed)
        _HOLD[dialect] = stmt
    return stmt


class AttemptCounterQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hold(self, key: str, *, now: datetime, since: datetime) -> tuple[int, bool]:
        """Lock the key's counter (creating it) and return (failures in the window, alarm already raised)."""
        stmt = _hold_statement(self.session.get_bind().dialect.name)
        row = self.session.execute(stmt, {"key": key, "now": now, "since": since}).one()
        return int(row[0]), bool(row[1])

    def add_failure(self, key: str) -> None:
        self.session.execute(
            update(AttemptCounter)
            .where(AttemptCounter.key == key)
            .values(failures=AttemptCounter.failures + 1)
            .execution_options(synchronize_session=False)
        )

    def mark_alarmed(self, key: str) -> None:
        self.session.execute(
            update(AttemptCounter)
            .where(AttemptCounter.key == key)
            .values(alarmed=True)
            .execution_options(synchronize_session=False)
        )

    def failed_logins(self, *, username: str | None = None, ip: str | None = None, since: datetime) -> int:
        q = (
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.success.is_(False), LoginAttempt.at >= since)
        )
        q = q.where(LoginAttempt.username == username) if username is not None else q.where(LoginAttempt.ip == ip)
        return int(self.session.execute(q).scalar_one())
