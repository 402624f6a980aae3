"""Append-only audit: unmasked personal-data reads and staff change records.

Both tables are hash-chained (each row stores the SHA-256 of its content and
the previous row's hash) so an edited or deleted row is detectable (R-P5), and
database triggers (see the migration) refuse UPDATE and DELETE.

One chain per (table, compound), plus one platform chain per table for rows with no
compound: appenders lock only their compound's chain (a PostgreSQL advisory lock keyed
on table and compound), so compounds never queue behind each other. Rows written before
the split (revision x20261206_district) keep their single global chain, recorded in
`audit_chain_origin`; the first per-compound row links to its compound's last legacy row.

Every hour the job core.audit_anchor writes the heads of all chains as a Merkle root into `audit_anchor`, each
anchor chained to the one before (issue 19), so a chain rewritten from some row to its end stays detectable.

Retention (R-P5: at least 6 months, `ANJU_AUDIT_RETENTION_DAYS`): on PostgreSQL `pii_access` is partitioned by month
of `at` (`anju.core.partitions`) and a month entirely older than the retention is dropped whole; dropping a partition
is the only way a row leaves (the append-only triggers are on every partition). Before a month goes, each chain that
loses rows gets a cut in `audit_chain_cut` (append-only): its last dropped row's id and row_hash. `verify_chains`
starts each chain from its cut, `_chain_head` continues a chain whose rows were all dropped from it, and
`verify_anchors` checks an anchored head that was dropped against the cut. Within a chain `at` never decreases
(`_append`), so the rows a month drop removes from a chain are always a prefix of it. A month holding a row that fails
its chain is not cut: its rows are put back (into the default partition) before the partition goes, so evidence of
tampering is never dropped and `verify` keeps naming it. SQLite keeps every row: its append-only triggers refuse every
DELETE, and the embedded single-compound database grows by a few thousand reads a year.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql import column as sql_column
from sqlalchemy.sql import table as sql_table

from anju.core.config import AUDIT_MIN_RETENTION_DAYS
from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.ids import BigId
from anju.core.jobs import job
from anju.core.partitions import MonthlyPartitions, register

log = logging.getLogger("anju.audit")


class PiiAccess(Base):
    """Who saw which unmasked personal field, when and why.

    On PostgreSQL the table is RANGE-partitioned by month of `at` (primary key (id, at) there, created by revision
    zo20261208_audit_partitions; the append-only triggers on the parent and so on every partition); whole months
    past `ANJU_AUDIT_RETENTION_DAYS` are dropped after their chains are cut (`AuditChainCut`)."""

    __tablename__ = "pii_access"
    __table_args__ = (Index("ix_pii_access_chain", "compound_id", "id"),)  # a chain's head: its compound's last id
    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # a global id (core.ids)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(64))  # "person:42"
    field: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(255))
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class ObjectChange(Base):
    """Before/after of a staff write to people, houses, credentials (R15)."""

    __tablename__ = "object_change"
    __table_args__ = (Index("ix_object_change_chain", "compound_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # a global id (core.ids)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    compound_id: Mapped[int | None] = mapped_column(Integer)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))  # create | update | end | erase
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainOrigin(Base):
    """Where a table's single legacy chain ends and its per-compound chains begin (append-only).

    Rows with id <= last_legacy_id were chained in one global chain (before revision x20261206_district)
    and are verified that way; later rows chain within their compound."""

    __tablename__ = "audit_chain_origin"
    table_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_legacy_id: Mapped[int] = mapped_column(Integer)
    legacy_head: Mapped[str] = mapped_column(String(64))


class AuditChainCut(Base):
    """Where retention cut a chain: its last dropped row (append-only, one row per chain per dropped month).

    Every row of the chain (table, compound; None: the platform chain) with id <= last_id was before `upto`, the end
    of the dropped month, and is gone; the chain's first kept row links to `row_hash`. `legacy` marks the cut of the
    pre-split global chain (`AuditChainOrigin`), whose rows are counted there as well as in their compound's cut.
    A chain cut twice is verified from its latest cut (the greatest last_id)."""

    __tablename__ = "audit_chain_cut"
    __table_args__ = (Index("ix_audit_chain_cut_chain", "table_name", "compound_id", "last_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # when the month was dropped
    table_name: Mapped[str] = mapped_column(String(32))
    compound_id: Mapped[int | None] = mapped_column(Integer)
    legacy: Mapped[bool] = mapped_column(Boolean, default=False)
    last_id: Mapped[int] = mapped_column(BigId)
    row_hash: Mapped[str] = mapped_column(String(64))
    upto: Mapped[datetime] = mapped_column(UTCDateTime())  # the dropped month's end


def _digest(prev: str, payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev + blob).encode()).hexdigest()


_CHAINED = {
    PiiAccess: ("at", "user_id", "compound_id", "subject", "field", "reason"),
    ObjectChange: ("at", "user_id", "compound_id", "entity", "entity_id", "action", "before", "after"),
}


# PostgreSQL advisory lock keys: (table, compound) in the two-int4 key space; the platform chain is compound -1.
_LOCK_KEYS = {PiiAccess: 7_100_001, ObjectChange: 7_100_002}
_PLATFORM = -1


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


def _lock_chain(session: Session, model: type[PiiAccess] | type[ObjectChange], compound_id: int | None) -> None:
    """Serialise appenders of one chain so two transactions never extend the same head.

    PostgreSQL: a transaction-scoped advisory lock on (table, compound): other compounds' appenders do not
    wait (the statement after it sees every committed row of the chain). SQLite: writers are serialised by
    the database lock, but pysqlite takes it only at the first write, so a head read before any write could
    be extended by a rival at the same time; a write that matches no row takes the lock."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        key = _PLATFORM if compound_id is None else compound_id
        session.execute(text("SELECT pg_advisory_xact_lock(:t, :c)"), {"t": _LOCK_KEYS[model], "c": key})
    elif dialect == "sqlite":
        session.execute(text(f"UPDATE {model.__tablename__} SET id = id WHERE 0"))


def _head_row(
    session: Session, model: type[PiiAccess] | type[ObjectChange], compound_id: int | None
) -> tuple[str, datetime | None]:
    """The last (row_hash, at) of the compound's chain; uses ix_<table>_chain. A chain with no row left is continued
    from its latest cut (every row was dropped by retention; at None), or starts at "" (a new chain)."""
    in_chain = model.compound_id.is_(None) if compound_id is None else model.compound_id == compound_id
    head = session.execute(
        select(model.id, model.row_hash, model.at).where(in_chain).order_by(model.id.desc()).limit(1)
    ).first()
    if head is not None and head[2] >= utcnow() - timedelta(days=AUDIT_MIN_RETENTION_DAYS):
        return head[1], head[2]  # a chain written within the minimum retention: no month of it was dropped since
    cut = _latest_cuts(session, model.__tablename__, compound_id).get(compound_id)
    if head is not None and (cut is None or cut[0] < head[0]):
        return head[1], head[2]
    return (cut[1] if cut else ""), None  # (an older row kept back in the default partition is not the head)


def _chain_head(session: Session, model: type[PiiAccess] | type[ObjectChange], compound_id: int | None) -> str:
    """The last row_hash of the compound's chain ("" for a new chain)."""
    return _head_row(session, model, compound_id)[0]


def _append(session: Session, row: PiiAccess | ObjectChange) -> None:
    model = type(row)
    _lock_chain(session, model, row.compound_id)
    prev, head_at = _head_row(session, model, row.compound_id)
    row.at = row.at or utcnow()
    if head_at is not None and row.at < head_at:
        # `at` never decreases within a chain (a row stamped before it waited for the lock, a clock stepped back):
        # a month dropped by retention then always takes a prefix of the chain, which its cut continues.
        row.at = head_at
    row.at = row.at.replace(microsecond=(row.at.microsecond // 1000) * 1000)
    row.prev_hash = prev
    row.row_hash = _digest(prev, _payload(row))
    session.add(row)
    session.flush()


_BUFFER_KEY = "anju.audit.buffer"


@contextmanager
def batched_changes(session: Session) -> Iterator[None]:
    """Change records written inside the block are appended together when it ends: the same rows, in the
    same order and chains, with one lock and one read of the head per chain, and one flush (a bulk import
    writes thousands). If the block raises, its buffered records are dropped with the rest of its work."""
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
    """_append for several rows: lock each chain once (in compound order, so two batches never deadlock), read
    each head once, chain the rows in order, and INSERT them in one Core statement (the rows are column values,
    not ORM objects: a bulk import writes thousands)."""
    compounds = {row["compound_id"] for row in rows}
    heads: dict[int | None, str] = {}
    for compound_id in sorted(compounds, key=lambda c: _PLATFORM if c is None else c):
        _lock_chain(session, ObjectChange, compound_id)
        heads[compound_id] = _chain_head(session, ObjectChange, compound_id)
    for row in rows:
        at = row["at"] or utcnow()
        row["at"] = at.replace(microsecond=(at.microsecond // 1000) * 1000)
        row["prev_hash"] = prev = heads[row["compound_id"]]
        row["row_hash"] = heads[row["compound_id"]] = _digest(prev, _change_payload(row))
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
    """One chain's verification: its table and compound (None: the platform chain, or every chain of the
    table when it is verify_chain's total), how many rows it holds and the rows where it breaks."""

    table: str
    rows: int
    broken_at: list[int]
    compound_id: int | None = None

    @property
    def intact(self) -> bool:
        return not self.broken_at


_Chained = TypeVar("_Chained", "PiiAccess", "ObjectChange")
LEGACY = "legacy"  # the compound_id key of verify_chains' report on the pre-split global chain


def verify_chains(
    session: Session, model: type[_Chained], *, compound_id: int | str | None = "all"
) -> dict[int | str | None, ChainReport]:
    """Recompute every chain of the table (or one compound's, `compound_id`) and name the rows where it breaks.

    A row is broken when its own hash does not match its content and prev_hash, or when its prev_hash is not
    the row_hash of its predecessor: within its compound's chain, or in the legacy global chain (key LEGACY)
    for rows written before the split. An edited row is named; a deleted row breaks its successor's link.
    Keys: compound id, None for the platform chain, LEGACY. With one compound, legacy rows of other compounds
    are not read, so only the legacy rows' own hashes and the first link after the split are checked.
    """
    origin = session.get(AuditChainOrigin, model.__tablename__)
    boundary = origin.last_legacy_id if origin else 0
    reports: dict[int | str | None, ChainReport] = {}
    # Chains cut by retention start at their cut: rows up to its last_id are gone, the next row links to its hash. A
    # row at or below the cut that is still there (an older row kept in a default partition) has lost its
    # neighbours: only its own hash is checked, and it does not move the head.
    cuts = _latest_cuts(session, model.__tablename__, compound_id)
    heads: dict[int | None, str] = {c: h for c, (_, h) in cuts.items()}  # each compound's last row_hash so far
    legacy_cut, legacy_prev = _legacy_cut(session, model.__tablename__) if compound_id == "all" else (0, "")
    query = select(model).order_by(model.id).execution_options(yield_per=2000)
    if compound_id != "all":
        query = query.where(model.compound_id.is_(None) if compound_id is None else model.compound_id == compound_id)
    for row in session.execute(query).scalars():
        legacy = row.id <= boundary
        key: int | str | None = LEGACY if legacy else row.compound_id
        report = reports.setdefault(key, ChainReport(model.__tablename__, 0, [], None if legacy else row.compound_id))
        report.rows += 1
        cut_id = legacy_cut if legacy else cuts.get(row.compound_id, (0, ""))[0]
        if row.id <= cut_id:
            expected = row.prev_hash
        elif legacy:
            expected = legacy_prev if compound_id == "all" else row.prev_hash
            legacy_prev = row.row_hash
        else:
            expected = heads.get(row.compound_id, "")
        if row.prev_hash != expected or row.row_hash != _digest(row.prev_hash, _payload(row)):
            report.broken_at.append(row.id)
        if row.id > cuts.get(row.compound_id, (0, ""))[0]:
            heads[row.compound_id] = row.row_hash
    if origin and compound_id == "all" and LEGACY in reports and legacy_prev != origin.legacy_head:
        reports[LEGACY].broken_at.append(boundary)  # the legacy chain no longer ends where the split recorded
    return reports


def _latest_cuts(
    session: Session | Connection, table: str, compound_id: int | str | None = "all"
) -> dict[int | None, tuple[int, str]]:
    """Each cut chain's latest cut (last dropped id, its row_hash), by compound (None: the platform chain)."""
    c = AuditChainCut
    query = select(c.compound_id, c.last_id, c.row_hash).where(c.table_name == table, c.legacy.is_(False))
    if compound_id != "all":
        query = query.where(c.compound_id.is_(None) if compound_id is None else c.compound_id == compound_id)
    out: dict[int | None, tuple[int, str]] = {}
    for cid, last_id, row_hash in session.execute(query.order_by(c.last_id)):
        out[cid] = (int(last_id), row_hash)
    return out


def _legacy_cut(session: Session, table: str) -> tuple[int, str]:
    """The pre-split global chain's latest cut: (last dropped legacy id, its row_hash), or (0, "")."""
    c = AuditChainCut
    cut = session.execute(
        select(c.last_id, c.row_hash).where(c.table_name == table, c.legacy.is_(True)).order_by(c.last_id.desc())
    ).first()
    return (int(cut[0]), cut[1]) if cut else (0, "")


def verify_chain(session: Session, model: type[_Chained]) -> ChainReport:
    """Every chain of the table at once: the rows in all of them and every row where one breaks."""
    reports = verify_chains(session, model)
    broken = sorted(i for r in reports.values() for i in r.broken_at)
    return ChainReport(model.__tablename__, sum(r.rows for r in reports.values()), broken)


# --- chain-head anchors (issue 19) ------------------------------------------------------------------------


class AuditAnchor(Base):
    """The heads of every audit chain at one moment, as a Merkle root, chained anchor to anchor (append-only).

    A compound's chain verifies on its own; an anchor also catches a chain rewritten consistently from some row
    to its end (every hash recomputed), or cut short: its anchored head no longer matches. `prev_hash` is unique,
    so two workers anchoring at once cannot both extend the same anchor (the second insert fails)."""

    __tablename__ = "audit_anchor"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heads: Mapped[list[list[Any]]] = mapped_column(JSON)  # [[table, compound id | None, last id, row_hash], …]
    root: Mapped[str] = mapped_column(String(64))  # Merkle root of the heads' leaves
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the previous anchor's anchor_hash, "" first
    anchor_hash: Mapped[str] = mapped_column(String(64))


def _leaf(head: list[Any]) -> str:
    table, compound_id, last_id, row_hash = head
    return hashlib.sha256(
        f"{table}|{'' if compound_id is None else compound_id}|{last_id}|{row_hash}".encode()
    ).hexdigest()


def merkle_root(leaves: list[str]) -> str:
    """SHA-256 Merkle root (an odd node is paired with itself); "" for no leaves."""
    level = list(leaves)
    if not level:
        return ""
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256((level[i] + level[i + 1]).encode()).hexdigest() for i in range(0, len(level), 2)]
    return level[0]


def _anchor_hash(prev: str, root: str, at: datetime) -> str:
    return hashlib.sha256(f"{prev}|{root}|{at.isoformat()}".encode()).hexdigest()


def chain_heads(session: Session) -> list[list[Any]]:
    """Every chain's head now: [table, compound id | None, last id, row_hash], in a fixed order."""
    heads: list[list[Any]] = []
    for model in (PiiAccess, ObjectChange):
        last = select(func.max(model.id)).group_by(model.compound_id)
        for compound_id, row_id, row_hash in session.execute(
            select(model.compound_id, model.id, model.row_hash).where(model.id.in_(last))
        ):
            heads.append([model.__tablename__, compound_id, int(row_id), row_hash])
    heads.sort(key=lambda h: (h[0], -1 if h[1] is None else h[1]))
    return heads


def anchor_heads(session: Session, *, at: datetime | None = None) -> AuditAnchor | None:
    """Write an anchor of the chains' heads if they moved since the last one; returns it (None: nothing moved)."""
    last = session.execute(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1)).scalar_one_or_none()
    heads = chain_heads(session)
    if last is not None and last.heads == heads:
        return None
    at = (at or utcnow()).replace(microsecond=0)
    prev = last.anchor_hash if last is not None else ""
    root = merkle_root([_leaf(h) for h in heads])
    row = AuditAnchor(at=at, heads=heads, root=root, prev_hash=prev, anchor_hash=_anchor_hash(prev, root, at))
    session.add(row)
    session.flush()
    return row


@dataclass
class AnchorProblem:
    anchor_id: int
    what: str  # "anchor" (the anchor itself or its link), or the table of a head that no longer matches
    compound_id: int | None = None
    row_id: int | None = None


def verify_anchors(session: Session, *, compound_id: int | str | None = "all") -> tuple[int, list[AnchorProblem]]:
    """Check the anchors' own chain and roots, and that every anchored head (of one compound, or all) still holds
    the hash it had: returns (anchors checked, problems naming the anchor, table, compound and row)."""
    models: dict[str, type[PiiAccess] | type[ObjectChange]] = {
        PiiAccess.__tablename__: PiiAccess,
        ObjectChange.__tablename__: ObjectChange,
    }
    problems: list[AnchorProblem] = []
    prev = ""
    n = 0
    cuts = {table: _latest_cuts(session, table) for table in models}
    for a in session.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars():
        n += 1
        root = merkle_root([_leaf(h) for h in a.heads])
        own = _anchor_hash(a.prev_hash, a.root, a.at.replace(microsecond=0))
        if a.prev_hash != prev or a.root != root or a.anchor_hash != own:
            problems.append(AnchorProblem(a.id, "anchor"))
        prev = a.anchor_hash
        for table, c, row_id, row_hash in a.heads:
            if compound_id != "all" and c != compound_id:
                continue
            model = models.get(table)
            got: tuple[str, int | None] | None = None
            if model is not None:
                found = session.execute(select(model.row_hash, model.compound_id).where(model.id == row_id)).first()
                got = (found[0], found[1]) if found is not None else None
            cut = cuts.get(table, {}).get(c)
            if got is None and cut is not None and row_id <= cut[0]:
                # dropped by retention: the chain's cut holds the last dropped row's hash, older heads are gone
                got = (row_hash if row_id < cut[0] else cut[1], c)
            if got is None or got[0] != row_hash or got[1] != c:
                problems.append(AnchorProblem(a.id, table, c, row_id))
    return n, problems


@job("core.audit_anchor", every=timedelta(hours=1))
def anchor_job() -> None:
    """Anchor every audit chain's head (a rival worker that anchored the same predecessor first wins)."""
    from sqlalchemy.exc import IntegrityError

    from anju.core.db import transaction

    try:
        with transaction() as session:
            anchor_heads(session)
    except IntegrityError:
        pass  # another worker extended the same anchor: its anchor stands


# --- retention (R-P5) --------------------------------------------------------------------------------------


def _cut_month(conn: Connection, parts: dict[str, str], lo: datetime, hi: datetime) -> None:
    """`keep` of pii_access's partitions: before a detached month is dropped, record each chain's cut.

    For every chain with rows in the month, its last row there (the greatest id: `at` never decreases within a
    chain, so the month holds a prefix of what is left of it); and the pre-split global chain's last row there."""
    part = parts[PiiAccess.__tablename__]
    broken = _month_breaks(conn, part)
    if broken:  # evidence of tampering is never dropped: the month's rows go back (into the default partition)
        log.error("pii_access %s kept: rows %s fail their hash chain (run `anju audit verify`)", part, broken[:20])
        conn.exec_driver_sql(f'INSERT INTO "{PiiAccess.__tablename__}" SELECT * FROM "{part}"')
        return
    now = utcnow()
    cut = {"table_name": PiiAccess.__tablename__, "at": now, "upto": hi}
    rows = [
        {**cut, "compound_id": cid, "legacy": False, "last_id": int(last_id), "row_hash": row_hash}
        for cid, last_id, row_hash in conn.execute(
            text(
                f'SELECT DISTINCT ON (compound_id) compound_id, id, row_hash FROM "{part}" ORDER BY compound_id, id DESC'
            )
        )
    ]
    origin = conn.execute(
        select(AuditChainOrigin.last_legacy_id).where(AuditChainOrigin.table_name == PiiAccess.__tablename__)
    ).scalar_one_or_none()
    if origin:
        legacy = conn.execute(
            text(f'SELECT id, row_hash FROM "{part}" WHERE id <= :b ORDER BY id DESC LIMIT 1'), {"b": origin}
        ).first()
        if legacy is not None:
            rows.append({**cut, "compound_id": None, "legacy": True, "last_id": int(legacy[0]), "row_hash": legacy[1]})
    if rows:
        conn.execute(insert(AuditChainCut.__table__), rows)


def _month_breaks(conn: Connection, part: str) -> list[int]:
    """Rows of a detached month that fail their chain: their own hash, or the link to the chain's previous row in
    the month. (A chain's first row in the month links to rows elsewhere, a cut or a kept month: `verify` checks it.)"""
    t = sql_table(part, *(sql_column(c.name, c.type) for c in PiiAccess.__table__.c))
    origin = conn.execute(
        select(AuditChainOrigin.last_legacy_id).where(AuditChainOrigin.table_name == PiiAccess.__tablename__)
    ).scalar_one_or_none()
    boundary = origin or 0
    last: dict[int | None, str] = {}  # each chain's previous row_hash in the month
    broken = []
    for r in conn.execute(select(t).order_by(t.c.id).execution_options(yield_per=2000)):
        payload = {
            n: v.isoformat() if isinstance(v, datetime) else v for n in _CHAINED[PiiAccess] for v in [r._mapping[n]]
        }
        linked = r.id <= boundary or r.compound_id not in last or r.prev_hash == last[r.compound_id]
        if not linked or r.row_hash != _digest(r.prev_hash, payload):
            broken.append(int(r.id))
        last[r.compound_id] = r.row_hash
    return broken


def _audit_retention() -> timedelta:
    from anju.core.config import get_settings

    return timedelta(days=get_settings().audit_retention_days)


# Unmasked personal-data reads: monthly on PostgreSQL, months past the retention dropped after their chains are cut.
# SQLite keeps every row: its append-only triggers refuse every DELETE (there is no retention purge there).
AUDIT_PARTITIONS = register(MonthlyPartitions(PiiAccess.__tablename__, "at", _audit_retention, keep=_cut_month))
