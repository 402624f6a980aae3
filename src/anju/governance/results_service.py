"""Results: the recorded tally, the 公示 (R-V13), receipts and the verification of a vote's chains."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.governance.chain import append_event, ballot_payload, cas_state, chain_digest, event_payload, ms, sha
from anju.governance.count_service import count_service
from anju.governance.electorate_service import electorate_service
from anju.governance.enums import EventKind, VoteState
from anju.governance.events import ItemOutcome, ShareInfo, VoteAnnounced
from anju.governance.exceptions import VoteStateConflict
from anju.governance.models import Ballot, Vote, VoteEvent
from anju.governance.repository import VoteRepository
from anju.governance.setup_service import vote_setup_service
from anju.governance.window_service import vote_window_service


@dataclass
class Verification:
    vote_id: int
    ballots: int = 0
    events: int = 0
    tampered_ballots: list[int] = field(default_factory=list)
    tampered_events: list[int] = field(default_factory=list)
    electorate_intact: bool = True
    tally_matches: bool | None = None
    problems: list[str] = field(default_factory=list)
    recount: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.tampered_ballots
            and not self.tampered_events
            and self.electorate_intact
            and self.tally_matches is not False
            and not self.problems
        )


def _share(data: dict[str, Any] | None) -> ShareInfo | None:
    return ShareInfo(owners=int(data["owners"]), area=str(data["area"])) if data else None


class ResultsService:
    def results(self, session: Session, *, by: Principal, vote_id: int) -> tuple[Vote, VoteEvent | None]:
        vote = vote_setup_service.get(session, by=by, vote_id=vote_id)
        return vote, VoteRepository(session).last_event(vote.id, EventKind.tallied)

    def announce(
        self, session: Session, *, by: Principal, vote_id: int, text_: str, now: datetime | None = None
    ) -> Vote:
        """Post the results and decision (公示); due within 3 days of closing (R-V13)."""
        now = now or utcnow()
        vote = vote_setup_service.get_managed(session, by=by, vote_id=vote_id)
        vote_window_service.advance(session, vote, now=now)
        if not cas_state(session, vote, VoteState.tallied, VoteState.announced):
            raise VoteStateConflict("only a tallied vote can be announced", zh="仅已计票的表决可以公示")
        vote.announced_at = ms(now)
        vote.announcement = text_
        repo = VoteRepository(session)
        tallied = repo.last_event(vote.id, EventKind.tallied)
        append_event(
            session,
            vote,
            EventKind.announced,
            by=by,
            at=now,
            payload={
                "text": sha(text_),
                "tally_event": tallied.row_hash if tallied else None,
                "on_time": now <= (vote.results_due_at or now),
            },
        )
        titles = {i.position: i.title for i in repo.items(vote.id)}
        outcomes = [
            ItemOutcome(
                position=item["position"],
                title=titles.get(item["position"], ""),
                official=item["official"],
                participating=ShareInfo(**item["participating"]),
                total=ShareInfo(**item["total"]),
                yes=_share(item.get("yes")),
                no=_share(item.get("no")),
            )
            for item in ((tallied.payload or {}).get("items", []) if tallied else [])
        ]
        events.publish(
            session,
            VoteAnnounced(
                vote_id=vote.id,
                compound_id=vote.compound_id,
                title=vote.title,
                announcement=text_,
                results=outcomes,
            ),
            compound_id=vote.compound_id,
        )
        return vote

    def flag_overdue(self, session: Session, *, now: datetime | None = None) -> list[int]:
        """R-V13: mark tallied votes whose 公示 is past its 3-day deadline."""
        now = now or utcnow()
        flagged = []
        for vote in VoteRepository(session).overdue_publication(now):
            vote.publication_overdue = True
            flagged.append(vote.id)
        session.flush()
        return flagged

    def check_receipt(self, session: Session, *, by: Principal, vote_id: int, receipt: str) -> dict[str, Any]:
        """Whether the ballot with this receipt is in the chain, unaltered, and inside the recorded tally.

        The choices are shown to whoever cast it and to the owner it was cast for: any of the
        co-owners, who are one owner with one ballot (R-V5).
        """
        vote = vote_setup_service.get(session, by=by, vote_id=vote_id)
        repo = VoteRepository(session)
        ballot = repo.ballot_by_receipt(vote.id, receipt.strip().lower())
        if ballot is None:
            return {"receipt": receipt, "found": False, "chain_intact": False, "counted": False}
        report = self.verify(session, vote)
        tallied = repo.last_event(vote.id, EventKind.tallied)
        intact = ballot.id not in report.tampered_ballots
        counted = tallied is not None and intact and ballot.seq <= int(tallied.payload.get("ballots", 0))
        mine = by.person_id is not None and (
            by.person_id == ballot.cast_by_person_id or repo.may_cast_as_owner(vote.id, ballot.elector_id, by.person_id)
        )
        return {
            "receipt": receipt,
            "found": True,
            "chain_intact": intact,
            "counted": counted,
            "seq": ballot.seq,
            "cast_at": ballot.cast_at,
            "channel": ballot.channel,
            "choices": ballot.choices if mine else None,
        }

    def verify(self, session: Session, vote: Vote) -> Verification:
        """Recompute both chains, the electorate digest and the tally from scratch; name any tampered row."""
        repo = VoteRepository(session)
        report = Verification(vote.id)
        prev, expect = "", 1
        elector_ids = {e.id for e in repo.elector_rows(vote.id)}
        for b in repo.ballot_rows(vote.id):
            report.ballots += 1
            if (
                b.seq != expect
                or b.prev_hash != prev
                or b.row_hash != chain_digest(prev, ballot_payload(b))
                or b.elector_id not in elector_ids
            ):
                report.tampered_ballots.append(b.id)
            elif b.cast_at >= vote.closes_at:
                report.tampered_ballots.append(b.id)
                report.problems.append(f"ballot {b.id} was cast after voting closed")
            prev, expect = b.row_hash, b.seq + 1
        prev, expect = "", 1
        published = tallied = None
        for e in repo.events(vote.id):
            report.events += 1
            if e.seq != expect or e.prev_hash != prev or e.row_hash != chain_digest(prev, event_payload(e)):
                report.tampered_events.append(e.id)
            prev, expect = e.row_hash, e.seq + 1
            if e.kind is EventKind.published:
                published = e
            if e.kind is EventKind.tallied:
                tallied = e
        if published is not None:
            report.electorate_intact = published.payload.get("electorate") == electorate_service.digest(
                session, vote.id
            )
            if not report.electorate_intact:
                report.problems.append("the electorate snapshot differs from the one published")
        recount = (
            [r.as_json() for r in count_service.recount(session, vote)] if vote.state is not VoteState.draft else []
        )
        report.recount = recount
        if tallied is not None:
            count, head = repo.chain_head(Ballot, vote.id)
            report.tally_matches = (
                tallied.payload.get("items") == recount
                and tallied.payload.get("ballots") == count
                and tallied.payload.get("ballot_head") == head
            )
            if not report.tally_matches:
                report.problems.append("the recorded tally differs from a recount of the stored ballots")
        return report


results_service = ResultsService()
