"""Append-only audit: unmasked personal-data reads and staff change records.

Both tables are hash-chained (each row stores the SHA-256 of its content and
the previous row's hash) so an edited or deleted row is detectable (R-P5), and
database triggers (see the migration) refuse UPDATE and DELETE.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import JSON, ForeignKey, Integer, String, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow


class PiiAccess(Base):
    """Who saw which unmasked personal field, when and why."""

    __tablename__ = "pii_access"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject: Mapped[str] = mapped_column(String(64))  # "person:42"
    field: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class ObjectChange(Base):
    """Before/after of a staff write to people, houses, credentials (R15)."""

    __tablename__ = "object_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer, index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create | update | end | erase
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


def _digest(prev: str, payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev + blob).encode()).hexdigest()


_CHAINED = {
    PiiAccess: ("at", "user_id", "compound_id", "subject", "field", "reason"),
    ObjectChange: ("at", "user_id", "compound_id", "entity", "entity_id", "action", "before", "after"),
}


_LOCK_KEYS = {PiiAccess: 7_100_001, ObjectChange: 7_100_002}


def _payload(row: PiiAccess | ObjectChange) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _CHAINED[type(row)]:
        v = getattr(row, name)
        out[name] = v.isoformat() if isinstance(v, datetime) else v
    return out


def _change_payload(values: dict[str, Any]) -> dict[str, Any]:
    """_payload of an ObjectChange given as its column values (a buffered record)."""
    return {
        name: values[name].isoformat() if isinstance(values[name], datetime) else values[name]
        for name in _CHAINED[ObjectChange]
    }


def _append(session: Session, row: PiiAccess | ObjectChange) -> None:
    model = type(row)
    # Serialise appenders so two transactions never extend the same chain head.
    # PostgreSQL: a transaction-scoped advisory lock (the statement after it sees
    # every committed row). SQLite: writers are serialised by the database lock, but
    # pysqlite takes it only at the first write, so a head read before any write could
    # be extended by a rival at the same time; a write that matches no row takes the lock.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEYS[model]})
    elif dialect == "sqlite":
        session.execute(text(f"UPDATE {model.__tablename__} SET id = id WHERE 0"))
    prev = session.execute(select(model.row_hash).order_by(model.id.desc()).limit(1)).scalar_one_or_none() or ""
    row.at = row.at or utcnow()
    row.at = row.at.replace(microsecond=(row.at.microsecond // 1000) * 1000)
    row.prev_hash = prev
    row.row_hash = _digest(prev, _payload(row))
    session.add(row)
    session.flush()


_BUFFER_KEY = "anju.audit.buffer"


@contextmanager
def batched_changes(session: Session) -> Iterator[None]:
    """Change records written inside the block are appended together when it ends: the same rows, in the
    same order and chain, with one lock, one read of the chain head and one flush (a bulk import writes
    thousands). If the block raises, its buffered records are dropped with the rest of its work."""
    if _BUFFER_KEY in session.info:  # already batching: the outer block appends
        yield
        return
    buffer: list[dict[str, Any]] = []  # each record's column values (no ORM object per record)
    session.info[_BUFFER_KEY] = buffer
    try:
        yield
    finally:
        session.info.pop(_BUFFER_KEY, None)
    if buffer:
        _append_many(session, buffer)


def _append_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """_append for several rows of one chain: lock once, read the head once, chain them in order, and INSERT
    them in one Core statement (the rows are column values, not ORM objects: a bulk import writes thousands)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEYS[ObjectChange]})
    elif dialect == "sqlite":
        session.execute(text(f"UPDATE {ObjectChange.__tablename__} SET id = id WHERE 0"))
    prev = (
        session.execute(select(ObjectChange.row_hash).order_by(ObjectChange.id.desc()).limit(1)).scalar_one_or_none()
        or ""
    )
    for row in rows:
        at = row["at"] or utcnow()
        row["at"] = at.replace(microsecond=(at.microsecond // 1000) * 1000)
        row["prev_hash"] = prev
        row["row_hash"] = prev = _digest(prev, _change_payload(row))
    session.flush()  # what the records describe is written first, as _append's flush would have done
    session.execute(insert(ObjectChange.__table__), rows)


def record_pii_access(
    session: Session, *, user_id: int | None, compound_id: int | None, subject: str, field: str, reason: str
) -> None:
    _append(
        session,
        PiiAccess(user_id=user_id, compound_id=compound_id, subject=subject, field=field, reason=reason, at=utcnow()),
    )


def record_change(
    session: Session,
    *,
    user_id: int | None,
    compound_id: int | None,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    if action == "update" and before == after:
        return
    buffer = session.info.get(_BUFFER_KEY)
    if buffer is not None:  # inside batched_changes(): appended when the block ends
        buffer.append(
            {
                "at": utcnow(),
                "user_id": user_id,
                "compound_id": compound_id,
                "entity": entity,
                "entity_id": entity_id,
                "action": action,
                "before": before,
                "after": after,
            }
        )
        return
    row = ObjectChange(
        user_id=user_id,
        compound_id=compound_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        at=utcnow(),
    )
    _append(session, row)


class _Audited(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def compound_id(self) -> int | None: ...


A = TypeVar("A", bound=_Audited)


@contextmanager
def audited_update(
    session: Session,
    row: A,
    *,
    user_id: int | None,
    entity: str,
    snapshot: Callable[[A], dict[str, Any]],
    action: str = "update",
    note: dict[str, Any] | None = None,
) -> Iterator[A]:
    """Change `row` inside the block; on leaving it, flush and write one change record (before → after).

    The one audited-update pattern: snapshot, change, flush, record. Nothing is recorded when the
    snapshots of an "update" are equal, or when the block raises (the change is being abandoned).
    Another `action` ("retire", "disable") is always recorded; `note` (a reason) is added to the after side.

        with audited_update(session, house, user_id=who.user_id, entity="house", snapshot=house_snapshot):
            house.status = HouseStatus.vacant
    """
    before = snapshot(row)
    yield row
    session.flush()
    record_change(
        session,
        user_id=user_id,
        compound_id=row.compound_id,
        entity=entity,
        entity_id=row.id,
        action=action,
        before=before,
        after={**snapshot(row), **note} if note else snapshot(row),
    )


@dataclass
class ChainReport:
    table: str
    rows: int
    broken_at: list[int]


_Chained = TypeVar("_Chained", "PiiAccess", "ObjectChange")


def verify_chain(session: Session, model: type[_Chained]) -> ChainReport:
    """Recompute the hash chain and name the first rows where it breaks."""
    prev = ""
    broken: list[int] = []
    n = 0
    for row in session.execute(select(model).order_by(model.id)).scalars():
        n += 1
        if row.prev_hash != prev or row.row_hash != _digest(prev, _payload(row)):
            broken.append(row.id)
        prev = row.row_hash
    return ChainReport(model.__tablename__, n, broken)
