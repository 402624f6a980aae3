"""Queries of the accounts domain that need more than a session.get()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from anju.accounts.models import AttemptCounter, LoginAttempt

_HOLD: dict[tuple[str, int], Any] = {}


def _hold_statement(dialect: str, keys: int = 1) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE … RETURNING: create or lock counter rows in one statement.

    The update restarts an expired window. On PostgreSQL the rows stay locked until the caller's
    transaction ends, taken in the order of the VALUES rows; on SQLite the statement takes the database's
    write lock. Either way the next attempt on a key reads the count only after this one has added its
    failure. One key binds `key`; several bind `key0`, `key1`, … (one round trip for all of them).
    """
    stmt = _HOLD.get((dialect, keys))
    if stmt is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        t = AttemptCounter.__table__
        names = ["key"] if keys == 1 else [f"key{i}" for i in range(keys)]
        ins = insert(t).values(
            [{"key": bindparam(n), "window_start": bindparam("now"), "failures": 0, "alarmed": False} for n in names]
        )
        expired = t.c.window_start < bindparam("since")
        stmt = ins.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "window_start": case((expired, bindparam("now")), else_=t.c.window_start),
                "failures": case((expired, 0), else_=t.c.failures),
                "alarmed": case((expired, False), else_=t.c.alarmed),
            },
        ).returning(t.c.key, t.c.failures, t.c.alarmed)
        _HOLD[(dialect, keys)] = stmt
    return stmt


class AttemptCounterQuery:
    def __init__(self, session: Session) -> None:
        self.session = session

    def hold(self, key: str, *, now: datetime, since: datetime) -> tuple[int, bool]:
        """Lock the key's counter (creating it) and return (failures in the window, alarm already raised)."""
        stmt = _hold_statement(self.session.get_bind().dialect.name)
        row = self.session.execute(stmt, {"key": key, "now": now, "since": since}).one()
        return int(row[1]), bool(row[2])

    def hold_many(self, keys: list[str], *, now: datetime, since: datetime) -> dict[str, tuple[int, bool]]:
        """hold() for several distinct keys of one window in one statement, locked in the order given."""
        if len(keys) == 1:
            return {keys[0]: self.hold(keys[0], now=now, since=since)}
        stmt = _hold_statement(self.session.get_bind().dialect.name, len(keys))
        params: dict[str, Any] = {f"key{i}": k for i, k in enumerate(keys)} | {"now": now, "since": since}
        return {str(k): (int(f), bool(a)) for k, f, a in self.session.execute(stmt, params).all()}

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
