"""Ballots: one per owner per vote, online or on paper, appended to the vote's hash chain.

An owner is the set of its co-owners (electorate.py): any of them, or a recorded proxy (R-V8),
casts the owner's one ballot, through any of the owner's houses; the second attempt is refused
as already voted (R-V5). Paper ballots are entered by staff and marked as paper (R-V16).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.governance.chain import ballot_payload, chain_digest, lock, ms
from anju.governance.enums import Channel, Choice, VoteState
from anju.governance.exceptions import (
    AlreadyVoted,
    BallotMismatch,
    HouseNotInElectorate,
    NotAnOwner,
    VotingClosed,
)
from anju.governance.models import Ballot, Vote
from anju.governance.repository import VoteRepository
from anju.governance.setup_service import vote_setup_service
from anju.governance.window_service import vote_window_service


def already_voted(existing: Ballot) -> AlreadyVoted:
    if existing.channel is Channel.paper:
        return AlreadyVoted("this owner already voted on paper", zh="该业主已提交纸质选票，不能再网上投票")
    return AlreadyVoted("this owner already voted online", zh="该业主已网上投票，不能再提交纸质选票或重复投票")


class BallotService:
    def _open_vote(self, session: Session, vote: Vote, now: datetime) -> None:
        vote_window_service.advance(session, vote, now=now)
        if vote.state is not VoteState.open or not (vote.opens_at <= now < vote.closes_at):
            raise VotingClosed(f"voting runs {vote.opens_at.isoformat()} – {vote.closes_at.isoformat()}")

    def _normalise(self, session: Session, vote: Vote, choices: Mapping[str, Choice | str]) -> dict[str, str]:
        """R-V12: exactly the published items, each yes / no / abstain."""
        positions = {str(i.position) for i in VoteRepository(session).items(vote.id)}
        if set(choices) != positions:
            raise BallotMismatch(
                fields=[{"field": "choices", "expected": sorted(positions, key=int), "got": sorted(choices)}]
            )
        try:
            return {k: Choice(v).value for k, v in choices.items()}
        except ValueError as exc:
            raise BallotMismatch("each choice is yes, no or abstain", zh="每个议题只能选择同意、反对或弃权") from exc

    def _append(self, session: Session, vote: Vote, ballot: Ballot) -> Ballot:
        repo = VoteRepository(session)
        lock(session, vote.id)
        existing = repo.ballot_of(vote.id, ballot.elector_id)
        if existing is not None:
            raise already_voted(existing)
        seq, prev = repo.chain_head(Ballot, vote.id)
        ballot.seq, ballot.prev_hash = seq + 1, prev
        ballot.cast_at = ms(ballot.cast_at)
        ballot.row_hash = chain_digest(prev, ballot_payload(ballot))
        try:
            with session.begin_nested():
                session.add(ballot)
                session.flush()
        except IntegrityError as exc:  # a rival transaction got there first
            raise AlreadyVoted() from exc
        return ballot

    def append_many(self, session: Session, vote: Vote, ballots: list[Ballot]) -> list[Ballot]:
        """Chain a batch of already-validated ballots in one go (demo data, benchmarks, bulk paper entry).

        Same chain and constraints as one-by-one casting; a duplicate owner fails the whole batch.
        """
        repo = VoteRepository(session)
        lock(session, vote.id)
        seq, prev = repo.chain_head(Ballot, vote.id)
        for b in ballots:
            seq += 1
            b.vote_id, b.compound_id, b.seq, b.prev_hash = vote.id, vote.compound_id, seq, prev
            b.choices = {k: Choice(v).value for k, v in b.choices.items()}
            b.cast_at = ms(b.cast_at)
            b.row_hash = prev = chain_digest(prev, ballot_payload(b))
        session.add_all(ballots)
        session.flush()
        return ballots

    def cast(
        self,
        session: Session,
        *,
        by: Principal,
        vote_id: int,
        house_id: int,
        choices: Mapping[str, Choice | str],
        now: datetime | None = None,
    ) -> Ballot:
        """An owner (or a recorded proxy, R-V8) casts the one ballot of the owner of `house_id`."""
        now = now or utcnow()
        by.require(AccountsPerm.self_service)
        vote = vote_setup_service.get(session, by=by, vote_id=vote_id)
        self._open_vote(session, vote, now)
        repo = VoteRepository(session)
        elector = repo.elector_for_house(vote.id, house_id)
        if by.person_id is None:
            raise NotAnOwner()
        if elector is None:
            raise NotAnOwner() if house_id not in by.house_ids else HouseNotInElectorate()
        proxy = None
        if not repo.may_cast_as_owner(vote.id, elector.id, by.person_id):
            proxy = repo.proxy(vote.id, elector.id, by.person_id)
            if proxy is None:
                raise NotAnOwner()
        ballot = Ballot(
            vote_id=vote.id,
            compound_id=vote.compound_id,
            elector_id=elector.id,
            channel=Channel.online,
            cast_by_user_id=by.user_id,
            cast_by_person_id=by.person_id,
            proxy_id=proxy.id if proxy else None,
            choices=self._normalise(session, vote, choices),
            cast_at=now,
        )
        return self._append(session, vote, ballot)

    def cast_paper(
        self,
        session: Session,
        *,
        by: Principal,
        vote_id: int,
        house_id: int,
        choices: Mapping[str, Choice | str],
        paper_ref: str,
        now: datetime | None = None,
    ) -> Ballot:
        """Staff or the committee enter a paper ballot, marked as paper (R-V16)."""
        now = now or utcnow()
        vote = vote_setup_service.get_managed(session, by=by, vote_id=vote_id)
        self._open_vote(session, vote, now)
        elector = VoteRepository(session).elector_for_house(vote.id, house_id)
        if elector is None:
            raise HouseNotInElectorate()
        ballot = Ballot(
            vote_id=vote.id,
            compound_id=vote.compound_id,
            elector_id=elector.id,
            channel=Channel.paper,
            cast_by_user_id=by.user_id,
            cast_by_person_id=None,
            paper_ref=paper_ref,
            choices=self._normalise(session, vote, choices),
            cast_at=now,
        )
        return self._append(session, vote, ballot)


ballot_service = BallotService()
