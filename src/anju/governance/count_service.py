"""Counting: the tally recomputed from the electorate snapshot and the stored ballots, and its record.

The arithmetic is tally.py's (exact fractions); this module feeds it the rows and writes the
`tallied` event that the verification and the 公示 refer to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.governance import tally as arith
from anju.governance.chain import append_event, cas_state, ms
from anju.governance.electorate_service import electorate_service
from anju.governance.enums import THRESHOLD_OF, Choice, EventKind, VoteState
from anju.governance.models import Ballot, Vote
from anju.governance.repository import VoteRepository


@dataclass
class Participation:
    total: arith.Weight
    returned: arith.Weight

    @property
    def owners_share(self) -> Fraction:
        return Fraction(self.returned.owners, self.total.owners) if self.total.owners else Fraction(0)

    @property
    def area_share(self) -> Fraction:
        return self.returned.area / self.total.area if self.total.area else Fraction(0)

    @property
    def quorum(self) -> bool:
        return arith.quorum_met(self.returned, self.total)


class CountService:
    def recount(self, session: Session, vote: Vote) -> list[arith.ItemResult]:
        """The tally from scratch: snapshot areas and stored ballots, exact fractions."""
        repo = VoteRepository(session)
        electors = {e.id: arith.frac(Decimal(e.area)) for e in repo.elector_rows(vote.id)}
        positions = [i.position for i in repo.items(vote.id)]
        wanted = {str(p) for p in positions}
        # A ballot for someone outside the snapshot, or not matching the agenda, can only be forged:
        # verify() names it, the recount ignores it.
        ballots = {
            b.elector_id: {int(k): Choice(v) for k, v in b.choices.items()}
            for b in repo.ballot_rows(vote.id)
            if b.elector_id in electors and set(b.choices) == wanted
        }
        return arith.tally(
            THRESHOLD_OF[vote.matter_type], positions, electors, ballots, deem_unreturned=vote.deem_unreturned
        )

    def record_tally(self, session: Session, vote: Vote, *, now: datetime) -> None:
        """Tally a closed vote and chain the result with the ballot-chain head and electorate digest."""
        results = self.recount(session, vote)
        count, head = VoteRepository(session).chain_head(Ballot, vote.id)
        append_event(
            session,
            vote,
            EventKind.tallied,
            by=None,
            at=now,
            payload={
                "items": [r.as_json() for r in results],
                "ballots": count,
                "ballot_head": head,
                "electorate": electorate_service.digest(session, vote.id),
            },
        )
        cas_state(session, vote, VoteState.closed, VoteState.tallied)
        vote.tallied_at = ms(now)

    def participation(self, session: Session, vote: Vote) -> Participation:
        repo = VoteRepository(session)
        electors = repo.electors(vote.id)
        total = arith.Weight(len(electors), sum((arith.frac(Decimal(e.area)) for e in electors), Fraction(0)))
        n, area = repo.participation(vote.id)
        return Participation(total, arith.Weight(n, arith.frac(Decimal(str(area)))))


count_service = CountService()


@dataclass(frozen=True)
class TurnoutFacts:
    """Votes of one compound that closed in a span, and owners who returned a ballot of the owners entitled."""

    votes: int
    returned: int
    electors: int


def turnout_facts(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime
) -> dict[int, TurnoutFacts]:
    """For aggregate views (the street office): per compound, the votes whose voting closed in [since, until) and
    their summed participation by headcount (owners who returned ÷ owners entitled, over those votes)."""
    out = {c: TurnoutFacts(0, 0, 0) for c in compound_ids}
    votes = session.execute(
        select(Vote).where(
            Vote.compound_id.in_(compound_ids),
            Vote.state.in_([VoteState.closed, VoteState.tallied, VoteState.announced]),
            Vote.closes_at >= since,
            Vote.closes_at < until,
        )
    ).scalars()
    for v in votes:
        p = count_service.participation(session, v)
        f = out[v.compound_id]
        out[v.compound_id] = TurnoutFacts(f.votes + 1, f.returned + p.returned.owners, f.electors + p.total.owners)
    return out
