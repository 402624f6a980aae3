"""The per-vote hash chains and state changes every governance service shares.

Ballots and vote events extend a per-vote hash chain with the spine's digest (core/audit.py),
serialised by a write on the vote row so two concurrent writers never share a chain head. A
vote's state moves by compare-and-set, so of two workers or requests exactly one moves it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from anju.core.audit import (
    _digest as chain_digest,  # the spine's hash-chain digest, reused on purpose
)
from anju.core.auth import Principal
from anju.governance.enums import EventKind, VoteState
from anju.governance.models import Vote, VoteEvent
from anju.governance.repository import VoteRepository

__all__ = [
    "append_event",
    "area_str",
    "ballot_payload",
    "cas_state",
    "chain_digest",
    "event_payload",
    "iso",
    "lock",
    "ms",
    "sha",
]


def ms(at: datetime) -> datetime:
    """Chained timestamps keep milliseconds, like the audit chain, so every database round-trips them."""
    return at.replace(microsecond=(at.microsecond // 1000) * 1000)


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def area_str(value: Decimal | None) -> str:
    return f"{Decimal(value or 0):.2f}"


def ballot_payload(b: Any) -> dict[str, Any]:
    """The chained content of a ballot (an ORM object or a plain row)."""
    return {
        "vote_id": b.vote_id,
        "seq": b.seq,
        "elector_id": b.elector_id,
        "channel": str(b.channel),
        "cast_by_user_id": b.cast_by_user_id,
        "cast_by_person_id": b.cast_by_person_id,
        "proxy_id": b.proxy_id,
        "paper_ref": b.paper_ref,
        "choices": b.choices,
        "cast_at": iso(b.cast_at),
    }


def event_payload(e: VoteEvent) -> dict[str, Any]:
    return {
        "vote_id": e.vote_id,
        "seq": e.seq,
        "kind": str(e.kind),
        "at": iso(e.at),
        "by_user_id": e.by_user_id,
        "payload": e.payload,
    }


def lock(session: Session, vote_id: int) -> None:
    """Serialise writers of one vote's chains: a row lock (PostgreSQL) or the write lock (SQLite)."""
    session.execute(text("UPDATE vote SET id = id WHERE id = :v"), {"v": vote_id})


def cas_state(session: Session, vote: Vote, old: VoteState, new: VoteState) -> bool:
    """Compare-and-set on the state: of two workers or requests, one moves the vote."""
    n = session.execute(
        update(Vote)
        .where(Vote.id == vote.id, Vote.state == old)
        .values(state=new)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if n == 1:
        vote.state = new
        return True
    session.refresh(vote)
    return False


def append_event(
    session: Session,
    vote: Vote,
    kind: EventKind,
    *,
    by: Principal | None,
    at: datetime,
    payload: dict[str, Any],
) -> VoteEvent:
    """Append a state change with its evidence to the vote's event chain."""
    repo = VoteRepository(session)
    lock(session, vote.id)
    seq, prev = repo.chain_head(VoteEvent, vote.id)
    ev = VoteEvent(
        vote_id=vote.id,
        compound_id=vote.compound_id,
        seq=seq + 1,
        kind=kind,
        at=ms(at),
        by_user_id=by.user_id if by else None,
        payload=payload,
        prev_hash=prev,
    )
    ev.row_hash = chain_digest(prev, event_payload(ev))
    session.add(ev)
    session.flush()
    return ev
