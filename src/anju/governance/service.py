"""Owner votes under 民法典 278: set-up, publication with an electorate snapshot, ballots, tally, 公示, verification.

Every rule lives here; the arithmetic is in tally.py, the SQL in repository.py. Ballots
and vote events extend a per-vote hash chain with the spine's digest (core/audit.py),
serialised by a write on the vote row so two concurrent ballots never share a chain head.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.core import events
from anju.core.audit import (
    _digest as chain_digest,  # the spine's hash-chain digest, reused on purpose
)
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound
from anju.governance import tally as arith
from anju.governance.enums import (
    THRESHOLD_OF,
    Channel,
    Choice,
    EventKind,
    MatterType,
    Threshold,
    VoteState,
)
from anju.governance.events import VoteAnnounced, VotePublished
from anju.governance.exceptions import (
    AgendaFrozen,
    AlreadyVoted,
    BadVoteSetup,
    BallotMismatch,
    HouseNotInElectorate,
    NotAnOwner,
    NoticeTooShort,
    VoteNotFound,
    VoteStateConflict,
    VotingClosed,
)
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
from anju.governance.permissions import VotesPerm
from anju.governance.repository import VoteRepository
from anju.governance.schemas import AgendaItemIn, VoteCreate
from anju.registry.enums import AreaSource
from anju.registry.models import House, Person

NOTICE_PERIOD = timedelta(days=15)  # R-V11
PUBLISH_RESULTS_WITHIN = timedelta(days=3)  # R-V13
DEVELOPER_KEY = "developer"
MIN_CLAUSE = 10  # characters of the 议事规则 clause that allows deemed votes (R-V9)


def _ms(at: datetime) -> datetime:
    """Chained timestamps keep milliseconds, like the audit chain, so every database round-trips them."""
    return at.replace(microsecond=(at.microsecond // 1000) * 1000)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


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
        "cast_at": _iso(b.cast_at),
    }


def event_payload(e: VoteEvent) -> dict[str, Any]:
    return {
        "vote_id": e.vote_id,
        "seq": e.seq,
        "kind": str(e.kind),
        "at": _iso(e.at),
        "by_user_id": e.by_user_id,
        "payload": e.payload,
    }


def _sha(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _area_str(value: Decimal | None) -> str:
    return f"{Decimal(value or 0):.2f}"


@dataclass
class _Group:
    """One owner being assembled from houses: the person (or developer), areas and who may cast."""

    key: str
    person_id: int | None
    houses: list[tuple[House, Decimal, AreaSource | None]] = field(default_factory=list)
    people: set[int] = field(default_factory=set)


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


class VoteService:
    # ----- reading -------------------------------------------------------------------------
    def get(self, session: Session, *, by: Principal, vote_id: int) -> Vote:
        vote = VoteRepository(session).readable(by, vote_id)
        if vote is None:
            raise VoteNotFound()
        return vote

    def get_managed(self, session: Session, *, by: Principal, vote_id: int) -> Vote:
        by.require(VotesPerm.manage)
        return self.get(session, by=by, vote_id=vote_id)

    # ----- set-up --------------------------------------------------------------------------
    def create(self, session: Session, *, by: Principal, data: VoteCreate) -> Vote:
        """A draft vote with its agenda; nothing reaches the owners until it is published."""
        by.require(VotesPerm.manage)
        if not by.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="小区不存在")
        if data.closes_at <= data.opens_at:
            raise BadVoteSetup("voting must close after it opens", zh="投票截止时间须晚于开始时间")
        if data.matter_type is MatterType.residence_to_business:
            house = session.get(House, data.subject_house_id) if data.subject_house_id else None
            if house is None or house.compound_id != data.compound_id:
                raise BadVoteSetup(
                    "a residence-to-business vote names the house to be converted",
                    zh="住宅改经营性用房的表决须指明涉及的房屋",
                )
        elif data.subject_house_id is not None:
            raise BadVoteSetup(
                "only a residence-to-business vote names a house", zh="仅住宅改经营性用房的表决需指明房屋"
            )
        vote = Vote(
            compound_id=data.compound_id,
            title=data.title,
            description=data.description,
            matter_type=data.matter_type,
            subject_house_id=data.subject_house_id,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            state=VoteState.draft,
            created_by=by.user_id,
        )
        session.add(vote)
        session.flush()
        self._write_items(session, vote, data.items)
        return vote

    def _write_items(self, session: Session, vote: Vote, items: list[AgendaItemIn]) -> None:
        for pos, item in enumerate(items, start=1):
            session.add(VoteItem(vote_id=vote.id, position=pos, title=item.title, description=item.description))
        session.flush()

    def replace_agenda(self, session: Session, *, by: Principal, vote_id: int, items: list[AgendaItemIn]) -> Vote:
        """Edit the agenda while in draft; after publication it is frozen (R-V11, R-V12)."""
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.draft:
            raise AgendaFrozen()
        for old in VoteRepository(session).items(vote.id):
            session.delete(old)
        session.flush()
        self._write_items(session, vote, items)
        return vote

    def set_deem_rule(
        self, session: Session, *, by: Principal, vote_id: int, enabled: bool, clause: str | None
    ) -> Vote:
        """R-V9: deemed votes are off by default; on only with the 议事规则 clause that allows them."""
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.draft:
            raise AgendaFrozen("voting rules are frozen once published", zh="表决规则已随议题公布，不能修改")
        if enabled:
            if THRESHOLD_OF[vote.matter_type] is Threshold.unanimity:
                raise BadVoteSetup("unanimous consent cannot be deemed", zh="须全体利害关系业主同意的事项不能推定同意")
            if not clause or len(clause.strip()) < MIN_CLAUSE:
                raise BadVoteSetup(
                    "quote the clause of the rules of procedure that allows it",
                    zh="须上传议事规则中允许“未投票计入多数”的条款",
                )
        vote.deem_unreturned = enabled
        vote.deem_rule_clause = clause.strip() if enabled and clause else None
        session.flush()
        return vote

    # ----- publication and the electorate snapshot -----------------------------------------
    def publish(self, session: Session, *, by: Principal, vote_id: int, now: datetime | None = None) -> Vote:
        """Publish the agenda to all owners ≥ 15 days before voting opens (R-V11) and snapshot the electorate."""
        now = now or utcnow()
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.draft:
            raise AgendaFrozen("already published", zh="议题已公布")
        if vote.opens_at < now + NOTICE_PERIOD:
            raise NoticeTooShort(
                f"voting opens {vote.opens_at.isoformat()}; publish by "
                f"{(vote.opens_at - NOTICE_PERIOD).isoformat()} or open later"
            )
        if not self._cas_state(session, vote, VoteState.draft, VoteState.published):
            raise VoteStateConflict()
        vote.published_at = _ms(now)
        digest, owners, area = self._snapshot(session, vote)
        items = [
            {"position": i.position, "title": i.title, "description": i.description}
            for i in VoteRepository(session).items(vote.id)
        ]
        self._event(
            session,
            vote,
            EventKind.published,
            by=by,
            at=now,
            payload={
                "electorate": digest,
                "owners": owners,
                "area": str(area),
                "agenda": _sha(items),
                "matter_type": str(vote.matter_type),
                "opens_at": _iso(vote.opens_at),
                "closes_at": _iso(vote.closes_at),
                "deem_unreturned": vote.deem_unreturned,
                "deem_rule_clause": vote.deem_rule_clause,
            },
        )
        events.publish(
            session, VotePublished(vote_id=vote.id, compound_id=vote.compound_id), compound_id=vote.compound_id
        )
        return vote

    def electorate_groups(
        self, session: Session, *, compound_id: int, matter_type: MatterType, subject_house_id: int | None = None
    ) -> list[_Group]:
        """The owners as the law counts them (R-V5, R-V6, R-V7, R-V10), from the registry as it stands."""
        repo = VoteRepository(session)
        building_id = None
        excluded_houses: set[int] = set()
        excluded_people: set[int] = set()
        if matter_type is MatterType.residence_to_business and subject_house_id is not None:
            subject = session.get(House, subject_house_id)
            assert subject is not None
            building_id = subject.building_id
            excluded_houses.add(subject.id)
            excluded_people = {
                pid
                for h, pid, _ in repo.owner_links(compound_id, building_id)
                if h.id == subject.id and pid is not None
            }
        per_house: dict[int, tuple[House, list[int]]] = {}
        for house, person_id, _role in repo.owner_links(compound_id, building_id):
            entry = per_house.setdefault(house.id, (house, []))
            if person_id is not None and person_id not in entry[1]:
                entry[1].append(person_id)
        groups: dict[str, _Group] = {}
        for house_id, (house, owners) in per_house.items():
            if house_id in excluded_houses:
                continue
            if owners and owners[0] in excluded_people:
                continue  # R-V10: the applicant is not one of the "other" interested owners
            # R-V6: a part with no recorded owner is the developer's (unsold or not yet delivered).
            key = f"person:{owners[0]}" if owners else DEVELOPER_KEY
            group = groups.setdefault(key, _Group(key, owners[0] if owners else None))
            area, source = house.exclusive_area  # R-V7: registered > surveyed > contract
            group.houses.append((house, area if area is not None else Decimal(0), source))
            group.people.update(owners)  # co-owners of one part count once, any of them may cast
        return sorted(groups.values(), key=lambda g: (g.key == DEVELOPER_KEY, g.person_id or 0))

    def _snapshot(self, session: Session, vote: Vote) -> tuple[str, int, Decimal]:
        groups = self.electorate_groups(
            session, compound_id=vote.compound_id, matter_type=vote.matter_type, subject_house_id=vote.subject_house_id
        )
        names = VoteRepository(session).person_names({g.person_id for g in groups if g.person_id})
        electors = [
            Elector(
                vote_id=vote.id,
                key=g.key,
                person_id=g.person_id,
                is_developer=g.key == DEVELOPER_KEY,
                label=names.get(g.person_id or 0, "开发建设单位"),
                area=sum((a for _, a, _ in g.houses), Decimal(0)),
                house_count=len(g.houses),
            )
            for g in groups
        ]
        session.add_all(electors)
        session.flush()  # one batched INSERT … RETURNING for all ids
        for g, e in zip(groups, electors, strict=True):
            session.add_all(
                ElectorHouse(
                    vote_id=vote.id, elector_id=e.id, house_id=h.id, house_label=h.label, area=a, area_source=src
                )
                for h, a, src in g.houses
            )
            session.add_all(ElectorPerson(vote_id=vote.id, elector_id=e.id, person_id=p) for p in sorted(g.people))
        session.flush()
        return (
            self.electorate_digest(session, vote.id),
            len(groups),
            sum((sum((a for _, a, _ in g.houses), Decimal(0)) for g in groups), Decimal(0)),
        )

    def electorate_digest(self, session: Session, vote_id: int) -> str:
        """A digest of the snapshot as stored: recomputed at verification to catch an edited area or owner."""
        repo = VoteRepository(session)
        electors = repo.elector_rows(vote_id)
        keys = {e.id: e.key for e in electors}
        return _sha(
            {
                "electors": sorted(
                    [e.key, e.person_id, bool(e.is_developer), _area_str(e.area), e.house_count] for e in electors
                ),
                "houses": sorted(
                    [
                        keys.get(h.elector_id),
                        h.house_id,
                        _area_str(h.area),
                        str(h.area_source) if h.area_source else None,
                    ]
                    for h in repo.elector_house_rows(vote_id)
                ),
                "people": sorted([keys.get(p.elector_id), p.person_id] for p in repo.elector_person_rows(vote_id)),
            }
        )

    # ----- the voting window -----------------------------------------------------------------
    def _cas_state(self, session: Session, vote: Vote, old: VoteState, new: VoteState) -> bool:
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

    def advance(self, session: Session, vote: Vote, *, now: datetime | None = None) -> Vote:
        """Move a vote along its clock: open when due, close and tally when the window ends."""
        now = now or utcnow()
        due_to_open = vote.state is VoteState.published and now >= vote.opens_at
        if due_to_open and self._cas_state(session, vote, VoteState.published, VoteState.open):
            vote.opened_at = _ms(now)
            self._event(session, vote, EventKind.opened, by=None, at=now, payload={})
        due_to_close = vote.state is VoteState.open and now >= vote.closes_at
        if due_to_close and self._cas_state(session, vote, VoteState.open, VoteState.closed):
            vote.closed_at = _ms(now)
            # R-V13: three days from the announced close, however late the worker noticed it.
            vote.results_due_at = vote.closes_at + PUBLISH_RESULTS_WITHIN
            self._event(session, vote, EventKind.closed, by=None, at=now, payload={})
            self._tally(session, vote, now=now)
        return vote

    def open(self, session: Session, *, by: Principal, vote_id: int, now: datetime | None = None) -> Vote:
        """Open voting by hand; earlier than 15 days after publication is blocked (R-V11)."""
        now = now or utcnow()
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.published:
            raise VoteStateConflict()
        if vote.published_at is None or now < vote.published_at + NOTICE_PERIOD or now < vote.opens_at:
            raise NoticeTooShort(f"voting may open from {vote.opens_at.isoformat()}")
        return self.advance(session, vote, now=now)

    def close(self, session: Session, *, by: Principal, vote_id: int, now: datetime | None = None) -> Vote:
        """Close and tally once the announced window has ended (it is never cut short)."""
        now = now or utcnow()
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        self.advance(session, vote, now=now)
        if vote.state not in (VoteState.tallied, VoteState.announced):
            raise VoteStateConflict(
                f"voting runs until {vote.closes_at.isoformat()}", zh="投票期尚未结束，不能提前截止"
            )
        return vote

    # ----- ballots ---------------------------------------------------------------------------
    def _lock(self, session: Session, vote_id: int) -> None:
        """Serialise writers of one vote's chains: a row lock (PostgreSQL) or the write lock (SQLite)."""
        session.execute(text("UPDATE vote SET id = id WHERE id = :v"), {"v": vote_id})

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

    def _append_ballot(self, session: Session, vote: Vote, ballot: Ballot) -> Ballot:
        repo = VoteRepository(session)
        self._lock(session, vote.id)
        existing = repo.ballot_of(vote.id, ballot.elector_id)
        if existing is not None:
            raise self._already(existing)
        seq, prev = repo.chain_head(Ballot, vote.id)
        ballot.seq, ballot.prev_hash = seq + 1, prev
        ballot.cast_at = _ms(ballot.cast_at)
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
        self._lock(session, vote.id)
        seq, prev = repo.chain_head(Ballot, vote.id)
        for b in ballots:
            seq += 1
            b.vote_id, b.compound_id, b.seq, b.prev_hash = vote.id, vote.compound_id, seq, prev
            b.choices = {k: Choice(v).value for k, v in b.choices.items()}
            b.cast_at = _ms(b.cast_at)
            b.row_hash = prev = chain_digest(prev, ballot_payload(b))
        session.add_all(ballots)
        session.flush()
        return ballots

    @staticmethod
    def _already(existing: Ballot) -> AlreadyVoted:
        if existing.channel is Channel.paper:
            return AlreadyVoted("this owner already voted on paper", zh="该业主已提交纸质选票，不能再网上投票")
        return AlreadyVoted("this owner already voted online", zh="该业主已网上投票，不能再提交纸质选票或重复投票")

    def _open_vote(self, session: Session, vote: Vote, now: datetime) -> None:
        self.advance(session, vote, now=now)
        if vote.state is not VoteState.open or not (vote.opens_at <= now < vote.closes_at):
            raise VotingClosed(f"voting runs {vote.opens_at.isoformat()} – {vote.closes_at.isoformat()}")

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
        vote = self.get(session, by=by, vote_id=vote_id)
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
        return self._append_ballot(session, vote, ballot)

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
        vote = self.get_managed(session, by=by, vote_id=vote_id)
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
        return self._append_ballot(session, vote, ballot)

    def request_paper(self, session: Session, *, by: Principal, vote_id: int, house_id: int) -> PaperRequest:
        """R-V16: an owner asks for a paper ballot instead of voting online; the committee sees the request."""
        by.require(AccountsPerm.self_service)
        vote = self.get(session, by=by, vote_id=vote_id)
        if vote.state not in (VoteState.published, VoteState.open):
            raise VotingClosed()
        repo = VoteRepository(session)
        elector = repo.elector_for_house(vote.id, house_id)
        if (
            elector is None
            or by.person_id is None
            or not (
                repo.may_cast_as_owner(vote.id, elector.id, by.person_id)
                or repo.proxy(vote.id, elector.id, by.person_id) is not None
            )
        ):
            raise NotAnOwner()
        existing = repo.ballot_of(vote.id, elector.id)
        if existing is not None:
            raise self._already(existing)
        if repo.paper_request(vote.id, elector.id) is not None:
            raise Conflict("a paper ballot was already requested", zh="已申请纸质选票")
        req = PaperRequest(vote_id=vote.id, elector_id=elector.id, person_id=by.person_id, requested_at=utcnow())
        try:
            with session.begin_nested():
                session.add(req)
                session.flush()
        except IntegrityError as exc:
            raise Conflict("a paper ballot was already requested", zh="已申请纸质选票") from exc
        return req

    def record_proxy(
        self, session: Session, *, by: Principal, vote_id: int, house_id: int, person_id: int, document: str
    ) -> VoteProxy:
        """Record an owner's written proxy so a tenant or other user may vote for them (R-V8)."""
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state not in (VoteState.published, VoteState.open):
            raise VoteStateConflict()
        repo = VoteRepository(session)
        elector = repo.elector_for_house(vote.id, house_id)
        if elector is None:
            raise HouseNotInElectorate()
        person = session.get(Person, person_id)
        if person is None or person.compound_id != vote.compound_id:
            raise NotFound("person not found", zh="人员不存在")
        if repo.proxy(vote.id, elector.id, person_id) is not None:
            raise Conflict("this proxy is already recorded", zh="该委托已登记")
        proxy = VoteProxy(
            vote_id=vote.id,
            elector_id=elector.id,
            person_id=person_id,
            document=document,
            recorded_by=by.user_id,
            recorded_at=utcnow(),
        )
        session.add(proxy)
        session.flush()
        return proxy

    # ----- tally, 公示, verification -----------------------------------------------------------
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

    def _tally(self, session: Session, vote: Vote, *, now: datetime) -> None:
        results = self.recount(session, vote)
        count, head = VoteRepository(session).chain_head(Ballot, vote.id)
        self._event(
            session,
            vote,
            EventKind.tallied,
            by=None,
            at=now,
            payload={
                "items": [r.as_json() for r in results],
                "ballots": count,
                "ballot_head": head,
                "electorate": self.electorate_digest(session, vote.id),
            },
        )
        self._cas_state(session, vote, VoteState.closed, VoteState.tallied)
        vote.tallied_at = _ms(now)

    def results(self, session: Session, *, by: Principal, vote_id: int) -> tuple[Vote, VoteEvent | None]:
        vote = self.get(session, by=by, vote_id=vote_id)
        return vote, VoteRepository(session).last_event(vote.id, EventKind.tallied)

    def announce(
        self, session: Session, *, by: Principal, vote_id: int, text_: str, now: datetime | None = None
    ) -> Vote:
        """Post the results and decision (公示); due within 3 days of closing (R-V13)."""
        now = now or utcnow()
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        self.advance(session, vote, now=now)
        if not self._cas_state(session, vote, VoteState.tallied, VoteState.announced):
            raise VoteStateConflict("only a tallied vote can be announced", zh="仅已计票的表决可以公示")
        vote.announced_at = _ms(now)
        vote.announcement = text_
        tallied = VoteRepository(session).last_event(vote.id, EventKind.tallied)
        self._event(
            session,
            vote,
            EventKind.announced,
            by=by,
            at=now,
            payload={
                "text": _sha(text_),
                "tally_event": tallied.row_hash if tallied else None,
                "on_time": now <= (vote.results_due_at or now),
            },
        )
        events.publish(
            session, VoteAnnounced(vote_id=vote.id, compound_id=vote.compound_id), compound_id=vote.compound_id
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

    def advance_due(self, session: Session, *, now: datetime | None = None) -> int:
        now = now or utcnow()
        ids = VoteRepository(session).due_to_advance(now)
        for vote_id in ids:
            vote = session.get(Vote, vote_id)
            if vote is not None:
                self.advance(session, vote, now=now)
        return len(ids)

    def _event(
        self,
        session: Session,
        vote: Vote,
        kind: EventKind,
        *,
        by: Principal | None,
        at: datetime,
        payload: dict[str, Any],
    ) -> VoteEvent:
        repo = VoteRepository(session)
        self._lock(session, vote.id)
        seq, prev = repo.chain_head(VoteEvent, vote.id)
        ev = VoteEvent(
            vote_id=vote.id,
            compound_id=vote.compound_id,
            seq=seq + 1,
            kind=kind,
            at=_ms(at),
            by_user_id=by.user_id if by else None,
            payload=payload,
            prev_hash=prev,
        )
        ev.row_hash = chain_digest(prev, event_payload(ev))
        session.add(ev)
        session.flush()
        return ev

    def participation(self, session: Session, vote: Vote) -> Participation:
        repo = VoteRepository(session)
        electors = repo.electors(vote.id)
        total = arith.Weight(len(electors), sum((arith.frac(Decimal(e.area)) for e in electors), Fraction(0)))
        n, area = repo.participation(vote.id)
        return Participation(total, arith.Weight(n, arith.frac(Decimal(str(area)))))

    def check_receipt(self, session: Session, *, by: Principal, vote_id: int, receipt: str) -> dict[str, Any]:
        """Whether the ballot with this receipt is in the chain, unaltered, and inside the recorded tally."""
        vote = self.get(session, by=by, vote_id=vote_id)
        repo = VoteRepository(session)
        ballot = repo.ballot_by_receipt(vote.id, receipt.strip().lower())
        if ballot is None:
            return {"receipt": receipt, "found": False, "chain_intact": False, "counted": False}
        report = self.verify(session, vote)
        tallied = repo.last_event(vote.id, EventKind.tallied)
        intact = ballot.id not in report.tampered_ballots
        counted = tallied is not None and intact and ballot.seq <= int(tallied.payload.get("ballots", 0))
        mine = by.person_id is not None and by.person_id == ballot.cast_by_person_id
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
            report.electorate_intact = published.payload.get("electorate") == self.electorate_digest(session, vote.id)
            if not report.electorate_intact:
                report.problems.append("the electorate snapshot differs from the one published")
        recount = [r.as_json() for r in self.recount(session, vote)] if vote.state is not VoteState.draft else []
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

    # ----- R-V14: interim meeting requests -------------------------------------------------------
    def request_meeting(self, session: Session, *, by: Principal, reason: str) -> MeetingRequest:
        by.require(AccountsPerm.self_service)
        repo = VoteRepository(session)
        if by.person_id is None or not repo.owned_house_ids(by.person_id):
            raise NotAnOwner("only owners may ask for an interim meeting", zh="仅业主可以提议召开临时业主大会")
        person = session.get(Person, by.person_id)
        assert person is not None
        if person.id in repo.meeting_requesters(person.compound_id):
            raise Conflict("you have already asked", zh="您已提议过")
        req = MeetingRequest(compound_id=person.compound_id, person_id=person.id, reason=reason, created_at=utcnow())
        session.add(req)
        session.flush()
        return req

    def meeting_duty(self, session: Session, *, compound_id: int) -> tuple[int, int, bool]:
        """R-V14: owners by headcount (as the law counts them) vs current owners asking; duty at ≥ 20 %."""
        groups = self.electorate_groups(session, compound_id=compound_id, matter_type=MatterType.other_major)
        requesters = VoteRepository(session).meeting_requesters(compound_id)
        asking = sum(1 for g in groups if g.people & requesters)
        return len(groups), asking, len(groups) > 0 and Fraction(asking, len(groups)) >= Fraction(1, 5)


vote_service = VoteService()
