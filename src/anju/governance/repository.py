"""Every governance query, scoped to the caller's compounds (R11: out of scope is 404)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.governance.enums import VoteState
from anju.governance.models import (
    Ballot,
    Elector,
    ElectorHouse,
    ElectorPerson,
    MeetingRequest,
    PaperRequest,
    Vote,
    VoteEvent,
    VoteItem,
    VoteProxy,
)
from anju.registry.enums import OccupancyRole
from anju.registry.models import House, Occupancy, Person
from anju.registry.occupancy import current_occupancy_clause


def readable_votes(who: Principal) -> Select[Vote]:
    """Committee and staff see every vote of their compounds; owners see none in draft."""
    q = select(Vote).where(Vote.compound_id.in_(who.compound_ids))
    if not (who.is_staff or who.role.value == "committee_member"):
        q = q.where(Vote.state != VoteState.draft)
    return q


class VoteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def readable(self, who: Principal, vote_id: int) -> Vote | None:
        return self.session.execute(readable_votes(who).where(Vote.id == vote_id)).scalar_one_or_none()

    def search(
        self, who: Principal, *, compound_id: int | None = None, states: Sequence[VoteState] | None = None
    ) -> list[Vote]:
        q = readable_votes(who)
        if compound_id is not None:
            q = q.where(Vote.compound_id == compound_id)
        if states:
            q = q.where(Vote.state.in_(states))
        return list(self.session.execute(q.order_by(Vote.opens_at.desc(), Vote.id.desc())).scalars())

    def items(self, vote_id: int) -> list[VoteItem]:
        return list(
            self.session.execute(
                select(VoteItem).where(VoteItem.vote_id == vote_id).order_by(VoteItem.position)
            ).scalars()
        )

    def electors(self, vote_id: int) -> list[Elector]:
        return list(
            self.session.execute(select(Elector).where(Elector.vote_id == vote_id).order_by(Elector.id)).scalars()
        )

    def elector_houses(self, vote_id: int) -> list[ElectorHouse]:
        return list(
            self.session.execute(
                select(ElectorHouse).where(ElectorHouse.vote_id == vote_id).order_by(ElectorHouse.id)
            ).scalars()
        )

    def elector_people(self, vote_id: int) -> list[ElectorPerson]:
        return list(
            self.session.execute(
                select(ElectorPerson).where(ElectorPerson.vote_id == vote_id).order_by(ElectorPerson.id)
            ).scalars()
        )

    # Plain rows (no ORM identity map) for recounts and verification over thousands of ballots.
    def elector_rows(self, vote_id: int) -> list[Row[Any]]:
        t = Elector.__table__
        return list(self.session.execute(select(t).where(t.c.vote_id == vote_id).order_by(t.c.id)))

    def elector_house_rows(self, vote_id: int) -> list[Row[Any]]:
        t = ElectorHouse.__table__
        return list(self.session.execute(select(t).where(t.c.vote_id == vote_id).order_by(t.c.id)))

    def elector_person_rows(self, vote_id: int) -> list[Row[Any]]:
        t = ElectorPerson.__table__
        return list(self.session.execute(select(t).where(t.c.vote_id == vote_id).order_by(t.c.id)))

    def ballot_rows(self, vote_id: int) -> list[Row[Any]]:
        t = Ballot.__table__
        return list(self.session.execute(select(t).where(t.c.vote_id == vote_id).order_by(t.c.seq)))

    def elector_for_house(self, vote_id: int, house_id: int) -> Elector | None:
        return self.session.execute(
            select(Elector)
            .join(ElectorHouse, ElectorHouse.elector_id == Elector.id)
            .where(ElectorHouse.vote_id == vote_id, ElectorHouse.house_id == house_id)
        ).scalar_one_or_none()

    def may_cast_as_owner(self, vote_id: int, elector_id: int, person_id: int) -> bool:
        return (
            self.session.execute(
                select(ElectorPerson.id).where(
                    ElectorPerson.vote_id == vote_id,
                    ElectorPerson.elector_id == elector_id,
                    ElectorPerson.person_id == person_id,
                )
            ).first()
            is not None
        )

    def proxy(self, vote_id: int, elector_id: int, person_id: int) -> VoteProxy | None:
        return self.session.execute(
            select(VoteProxy).where(
                VoteProxy.vote_id == vote_id, VoteProxy.elector_id == elector_id, VoteProxy.person_id == person_id
            )
        ).scalar_one_or_none()

    def proxies(self, vote_id: int) -> list[VoteProxy]:
        return list(
            self.session.execute(select(VoteProxy).where(VoteProxy.vote_id == vote_id).order_by(VoteProxy.id)).scalars()
        )

    def paper_request(self, vote_id: int, elector_id: int) -> PaperRequest | None:
        return self.session.execute(
            select(PaperRequest).where(PaperRequest.vote_id == vote_id, PaperRequest.elector_id == elector_id)
        ).scalar_one_or_none()

    def paper_requests(self, vote_id: int) -> list[tuple[PaperRequest, str, bool]]:
        """Requests with the elector's house labels and whether a ballot has since been stored."""
        labels: dict[int, list[str]] = {}
        for h in self.elector_houses(vote_id):
            labels.setdefault(h.elector_id, []).append(h.house_label)
        voted = {b.elector_id for b in self.ballot_rows(vote_id)}
        reqs = self.session.execute(
            select(PaperRequest).where(PaperRequest.vote_id == vote_id).order_by(PaperRequest.id)
        ).scalars()
        return [(r, " ".join(labels.get(r.elector_id, [])), r.elector_id in voted) for r in reqs]

    def ballot_of(self, vote_id: int, elector_id: int) -> Ballot | None:
        return self.session.execute(
            select(Ballot).where(Ballot.vote_id == vote_id, Ballot.elector_id == elector_id)
        ).scalar_one_or_none()

    def ballots(self, vote_id: int) -> list[Ballot]:
        return list(
            self.session.execute(select(Ballot).where(Ballot.vote_id == vote_id).order_by(Ballot.seq)).scalars()
        )

    def ballot_by_receipt(self, vote_id: int, receipt: str) -> Ballot | None:
        return (
            self.session.execute(select(Ballot).where(Ballot.vote_id == vote_id, Ballot.row_hash == receipt))
            .scalars()
            .first()
        )

    def ballots_cast_by(self, person_id: int) -> list[Ballot]:
        """Ballots the person cast, and those cast for an owner they are one of (co-owners share one, R-V5)."""
        owner_of = select(ElectorPerson.elector_id).where(ElectorPerson.person_id == person_id)
        return list(
            self.session.execute(
                select(Ballot)
                .where(or_(Ballot.cast_by_person_id == person_id, Ballot.elector_id.in_(owner_of)))
                .order_by(Ballot.cast_at.desc())
            ).scalars()
        )

    def chain_head(self, model: type[Ballot | VoteEvent], vote_id: int) -> tuple[int, str]:
        row = self.session.execute(
            select(model.seq, model.row_hash).where(model.vote_id == vote_id).order_by(model.seq.desc()).limit(1)
        ).first()
        return (row[0], row[1]) if row else (0, "")

    def events(self, vote_id: int) -> list[VoteEvent]:
        return list(
            self.session.execute(
                select(VoteEvent).where(VoteEvent.vote_id == vote_id).order_by(VoteEvent.seq)
            ).scalars()
        )

    def last_event(self, vote_id: int, kind: str) -> VoteEvent | None:
        return self.session.execute(
            select(VoteEvent)
            .where(VoteEvent.vote_id == vote_id, VoteEvent.kind == kind)
            .order_by(VoteEvent.seq.desc())
            .limit(1)
        ).scalar_one_or_none()

    def participation(self, vote_id: int) -> tuple[int, object]:
        """Ballots returned and their summed snapshot area (one aggregate query)."""
        row = self.session.execute(
            select(func.count(Ballot.id), func.coalesce(func.sum(Elector.area), 0))
            .join(Elector, Elector.id == Ballot.elector_id)
            .where(Ballot.vote_id == vote_id)
        ).one()
        return int(row[0]), row[1]

    def owner_links(
        self, compound_id: int, building_id: int | None = None
    ) -> list[tuple[House, int | None, OccupancyRole | None]]:
        """Every house of the compound (or one building) with its current owners and co-owners, owners first."""
        q = (
            select(House, Occupancy.person_id, Occupancy.role)
            .outerjoin(
                Occupancy,
                (Occupancy.house_id == House.id)
                & current_occupancy_clause()
                & Occupancy.role.in_((OccupancyRole.owner, OccupancyRole.co_owner)),
            )
            .where(House.compound_id == compound_id)
        )
        if building_id is not None:
            q = q.where(House.building_id == building_id)
        rows = self.session.execute(q.order_by(House.id, Occupancy.role.desc(), Occupancy.id)).all()
        return [(h, pid, role) for h, pid, role in rows]

    def person_names(self, person_ids: set[int]) -> dict[int, str]:
        if not person_ids:
            return {}
        return dict(self.session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids))).all())

    def owned_house_ids(self, person_id: int) -> set[int]:
        return set(
            self.session.execute(
                select(Occupancy.house_id).where(
                    Occupancy.person_id == person_id,
                    current_occupancy_clause(),
                    Occupancy.role.in_((OccupancyRole.owner, OccupancyRole.co_owner)),
                )
            ).scalars()
        )

    def due_to_advance(self, now: object) -> list[int]:
        return list(
            self.session.execute(
                select(Vote.id).where(
                    ((Vote.state == VoteState.published) & (Vote.opens_at <= now))
                    | ((Vote.state == VoteState.open) & (Vote.closes_at <= now))
                )
            ).scalars()
        )

    def overdue_publication(self, now: object) -> list[Vote]:
        return list(
            self.session.execute(
                select(Vote).where(
                    Vote.state.in_((VoteState.closed, VoteState.tallied)),
                    Vote.results_due_at < now,
                    Vote.publication_overdue.is_(False),
                )
            ).scalars()
        )

    def meeting_requesters(self, compound_id: int) -> set[int]:
        return set(
            self.session.execute(
                select(MeetingRequest.person_id).where(MeetingRequest.compound_id == compound_id)
            ).scalars()
        )
