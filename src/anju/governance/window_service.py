"""The voting window: a vote opens when due, closes when its announced window ends, and is tallied.

The clock moves a vote by compare-and-set (chain.cas_state), so a worker and a request racing on
the same vote move it once. Voting is never opened early (R-V11) nor cut short.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.governance.chain import append_event, cas_state, ms
from anju.governance.count_service import count_service
from anju.governance.enums import EventKind, VoteState
from anju.governance.exceptions import NoticeTooShort, VoteStateConflict
from anju.governance.models import Vote
from anju.governance.repository import VoteRepository
from anju.governance.setup_service import NOTICE_PERIOD, vote_setup_service

PUBLISH_RESULTS_WITHIN = timedelta(days=3)  # R-V13


class VoteWindowService:
    def advance(self, session: Session, vote: Vote, *, now: datetime | None = None) -> Vote:
        """Move a vote along its clock: open when due, close and tally when the window ends."""
        now = now or utcnow()
        due_to_open = vote.state is VoteState.published and now >= vote.opens_at
        if due_to_open and cas_state(session, vote, VoteState.published, VoteState.open):
            vote.opened_at = ms(now)
            append_event(session, vote, EventKind.opened, by=None, at=now, payload={})
        due_to_close = vote.state is VoteState.open and now >= vote.closes_at
        if due_to_close and cas_state(session, vote, VoteState.open, VoteState.closed):
            vote.closed_at = ms(now)
            # R-V13: three days from the announced close, however late the worker noticed it.
            vote.results_due_at = vote.closes_at + PUBLISH_RESULTS_WITHIN
            append_event(session, vote, EventKind.closed, by=None, at=now, payload={})
            count_service.record_tally(session, vote, now=now)
        return vote

    def open(self, session: Session, *, by: Principal, vote_id: int, now: datetime | None = None) -> Vote:
        """Open voting by hand; earlier than 15 days after publication is blocked (R-V11)."""
        now = now or utcnow()
        vote = vote_setup_service.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.published:
            raise VoteStateConflict()
        if vote.published_at is None or now - vote.published_at < NOTICE_PERIOD or now < vote.opens_at:
            raise NoticeTooShort(f"voting may open from {vote.opens_at.isoformat()}")
        return self.advance(session, vote, now=now)

    def close(self, session: Session, *, by: Principal, vote_id: int, now: datetime | None = None) -> Vote:
        """Close and tally once the announced window has ended (it is never cut short)."""
        now = now or utcnow()
        vote = vote_setup_service.get_managed(session, by=by, vote_id=vote_id)
        self.advance(session, vote, now=now)
        if vote.state not in (VoteState.tallied, VoteState.announced):
            raise VoteStateConflict(
                f"voting runs until {vote.closes_at.isoformat()}", zh="投票期尚未结束，不能提前截止"
            )
        return vote

    def advance_due(self, session: Session, *, now: datetime | None = None) -> int:
        now = now or utcnow()
        ids = VoteRepository(session).due_to_advance(now)
        for vote_id in ids:
            vote = session.get(Vote, vote_id)
            if vote is not None:
                self.advance(session, vote, now=now)
        return len(ids)


vote_window_service = VoteWindowService()
