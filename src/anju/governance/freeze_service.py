"""Whether a compound's electorate is frozen: a vote published and not yet counted (R-V7).

The registry asks this (through the check registered at start-up) before it changes a house's area.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.governance.enums import VoteState
from anju.governance.models import Vote

FROZEN_STATES = (VoteState.published, VoteState.open, VoteState.closed)


def vote_open_in_compound(session: Session, compound_id: int) -> bool:
    """True from a vote's publication (electorate snapshotted) until its tally."""
    stmt = select(Vote.id).where(Vote.compound_id == compound_id, Vote.state.in_(FROZEN_STATES)).limit(1)
    return session.execute(stmt).first() is not None
