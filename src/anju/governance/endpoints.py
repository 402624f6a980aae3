"""Owner votes API: set-up and 公示 for the committee/manager, ballots and receipts for owners.

Every refusal is a 4xx with a zh/en reason and leaves the ballots and tally untouched.
There is no update or delete of a ballot, a tally event or the electorate snapshot (R-V15).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden
from anju.governance.auth import Owner, VoteManager, VoteReader
from anju.governance.ballot_service import ballot_service
from anju.governance.count_service import count_service
from anju.governance.enums import THRESHOLD_OF, VoteState
from anju.governance.exceptions import (
    AgendaFrozen,
    AlreadyVoted,
    BallotMismatch,
    NotAnOwner,
    NoticeTooShort,
    VoteNotFound,
    VoteStateConflict,
    VotingClosed,
)
from anju.governance.meeting_service import meeting_service
from anju.governance.models import Ballot, Vote
from anju.governance.permissions import VotesPerm
from anju.governance.proxy_service import proxy_service
from anju.governance.repository import VoteRepository
from anju.governance.results_service import results_service
from anju.governance.schemas import (
    AgendaItemRead,
    AgendaUpdate,
    AnnounceIn,
    BallotIn,
    DeemRuleIn,
    MeetingDuty,
    MeetingRequestIn,
    PaperBallotIn,
    PaperRequestIn,
    ParticipationRead,
    ProxyIn,
    ProxyRead,
    ReceiptCheck,
    ReceiptRead,
    ResultsRead,
    VerifyRead,
    VoteCreate,
    VoteRead,
)
from anju.governance.setup_service import vote_setup_service
from anju.governance.tally import to_decimal
from anju.governance.window_service import vote_window_service

router = APIRouter(prefix="/votes", tags=["votes"])
_STATE: dict[int | str, dict[str, Any]] = {404: VoteNotFound.doc(), 409: VoteStateConflict.doc()}


def vote_read(session: ReadSession, vote: Vote) -> VoteRead:
    items = [AgendaItemRead.model_validate(i) for i in VoteRepository(session).items(vote.id)]
    return VoteRead(
        id=vote.id,
        compound_id=vote.compound_id,
        title=vote.title,
        description=vote.description,
        matter_type=vote.matter_type,
        threshold=THRESHOLD_OF[vote.matter_type].value,
        subject_house_id=vote.subject_house_id,
        state=vote.state,
        opens_at=vote.opens_at,
        closes_at=vote.closes_at,
        published_at=vote.published_at,
        closed_at=vote.closed_at,
        announced_at=vote.announced_at,
        results_due_at=vote.results_due_at,
        publication_overdue=vote.publication_overdue,
        deem_unreturned=vote.deem_unreturned,
        deem_rule_clause=vote.deem_rule_clause,
        announcement=vote.announcement,
        items=items,
    )


def receipt_read(session: ReadSession, ballot: Ballot) -> ReceiptRead:
    labels = [
        h.house_label
        for h in VoteRepository(session).elector_houses(ballot.vote_id)
        if h.elector_id == ballot.elector_id
    ]
    return ReceiptRead(
        vote_id=ballot.vote_id,
        receipt=ballot.row_hash,
        seq=ballot.seq,
        channel=ballot.channel,
        cast_at=ballot.cast_at,
        house_labels=labels,
    )


def _reader(who: CurrentPrincipal) -> None:
    if not (who.can(VotesPerm.read) or who.can(AccountsPerm.self_service)):
        raise Forbidden("role may not read votes", zh="无权查看表决")


@router.get("", response_model=list[VoteRead])
def list_votes(
    who: CurrentPrincipal, session: ReadSession, compound_id: int | None = None, state: VoteState | None = None
) -> list[VoteRead]:
    """Votes of my compound(s); owners do not see drafts."""
    _reader(who)
    votes = VoteRepository(session).search(who, compound_id=compound_id, states=[state] if state else None)
    return [vote_read(session, v) for v in votes]


@router.post("", response_model=VoteRead, status_code=201)
def create_vote(body: VoteCreate, who: VoteManager, session: WriteSession) -> VoteRead:
    """Set up a vote (draft) with its matter type and agenda."""
    return vote_read(session, vote_setup_service.create(session, by=who, data=body))


@router.get("/meeting-duty", response_model=MeetingDuty)
def meeting_duty(who: VoteReader, session: ReadSession, compound_id: int) -> MeetingDuty:
    """R-V14: whether ≥ 20 % of owners by headcount asked for an interim meeting."""
    if not who.in_scope(compound_id):
        raise VoteNotFound("compound not found", zh="小区不存在")
    owners, asking, duty = meeting_service.meeting_duty(session, compound_id=compound_id)
    return MeetingDuty(compound_id=compound_id, owners=owners, requesting=asking, duty_to_convene=duty)


@router.post("/meeting-requests", status_code=201)
def request_meeting(body: MeetingRequestIn, who: Owner, session: WriteSession) -> dict[str, int]:
    """An owner asks for an interim owners' meeting (R-V14)."""
    req = meeting_service.request_meeting(session, by=who, reason=body.reason)
    return {"id": req.id}


@router.get("/my-ballots", response_model=list[ReceiptRead])
def my_ballots(who: Owner, session: ReadSession) -> list[ReceiptRead]:
    """My receipts: one per ballot I cast."""
    if who.person_id is None:
        return []
    return [receipt_read(session, b) for b in VoteRepository(session).ballots_cast_by(who.person_id)]


@router.get("/{vote_id}", response_model=VoteRead, responses={404: VoteNotFound.doc()})
def get_vote(vote_id: int, who: CurrentPrincipal, session: ReadSession) -> VoteRead:
    _reader(who)
    return vote_read(session, vote_setup_service.get(session, by=who, vote_id=vote_id))


@router.put("/{vote_id}/agenda", response_model=VoteRead, responses={409: AgendaFrozen.doc()})
def replace_agenda(vote_id: int, body: AgendaUpdate, who: VoteManager, session: WriteSession) -> VoteRead:
    """Replace the agenda; refused once published (R-V11, R-V12)."""
    return vote_read(session, vote_setup_service.replace_agenda(session, by=who, vote_id=vote_id, items=body.items))


@router.put("/{vote_id}/deem-rule", response_model=VoteRead)
def set_deem_rule(vote_id: int, body: DeemRuleIn, who: VoteManager, session: WriteSession) -> VoteRead:
    """R-V9: count unreturned ballots with the majority, only with the 议事规则 clause that allows it."""
    vote = vote_setup_service.set_deem_rule(session, by=who, vote_id=vote_id, enabled=body.enabled, clause=body.clause)
    return vote_read(session, vote)


@router.post("/{vote_id}/publish", response_model=VoteRead, responses={422: NoticeTooShort.doc(), **_STATE})
def publish_vote(vote_id: int, who: VoteManager, session: WriteSession) -> VoteRead:
    """Publish the agenda (≥ 15 days before voting opens) and snapshot the electorate."""
    return vote_read(session, vote_setup_service.publish(session, by=who, vote_id=vote_id))


@router.post("/{vote_id}/open", response_model=VoteRead, responses={422: NoticeTooShort.doc(), **_STATE})
def open_vote(vote_id: int, who: VoteManager, session: WriteSession) -> VoteRead:
    """Open voting (blocked before the announced opening, R-V11); the worker also does this on time."""
    return vote_read(session, vote_window_service.open(session, by=who, vote_id=vote_id))


@router.post("/{vote_id}/close", response_model=VoteRead, responses=_STATE)
def close_vote(vote_id: int, who: VoteManager, session: WriteSession) -> VoteRead:
    """Close and tally once the window has ended; the worker also does this on time."""
    return vote_read(session, vote_window_service.close(session, by=who, vote_id=vote_id))


@router.get("/{vote_id}/participation", response_model=ParticipationRead)
def participation(vote_id: int, who: VoteReader, session: ReadSession) -> ParticipationRead:
    """Live participation by headcount and area against the whole electorate."""
    vote = vote_setup_service.get(session, by=who, vote_id=vote_id)
    p = count_service.participation(session, vote)
    return ParticipationRead(
        vote_id=vote.id,
        state=vote.state,
        total_owners=p.total.owners,
        total_area=to_decimal(p.total.area),
        owners=p.returned.owners,
        area=to_decimal(p.returned.area),
        owners_share=str(p.owners_share),
        area_share=str(p.area_share),
        quorum_reached=p.quorum,
    )


@router.post(
    "/{vote_id}/ballots",
    response_model=ReceiptRead,
    status_code=201,
    responses={409: AlreadyVoted.doc(), 403: NotAnOwner.doc(), 422: BallotMismatch.doc(), 404: VoteNotFound.doc()},
)
def cast_ballot(vote_id: int, body: BallotIn, who: Owner, session: WriteSession) -> ReceiptRead:
    """Cast my ballot for the owner of a house I own (or hold a recorded proxy for); returns my receipt."""
    ballot = ballot_service.cast(session, by=who, vote_id=vote_id, house_id=body.house_id, choices=body.choices)
    return receipt_read(session, ballot)


@router.post(
    "/{vote_id}/paper-ballots",
    response_model=ReceiptRead,
    status_code=201,
    responses={409: AlreadyVoted.doc(), 422: BallotMismatch.doc(), 404: VoteNotFound.doc()},
)
def enter_paper_ballot(vote_id: int, body: PaperBallotIn, who: VoteManager, session: WriteSession) -> ReceiptRead:
    """Enter a paper ballot (marked as paper, R-V16); refused if the owner already voted online."""
    ballot = ballot_service.cast_paper(
        session, by=who, vote_id=vote_id, house_id=body.house_id, choices=body.choices, paper_ref=body.paper_ref
    )
    return receipt_read(session, ballot)


@router.post(
    "/{vote_id}/paper-requests",
    status_code=201,
    responses={409: AlreadyVoted.doc(), 403: NotAnOwner.doc(), 404: VoteNotFound.doc()},
)
def request_paper_ballot(vote_id: int, body: PaperRequestIn, who: Owner, session: WriteSession) -> dict[str, int]:
    """Ask for a paper ballot instead of voting online (R-V16); staff enter it, marked as paper."""
    req = proxy_service.request_paper(session, by=who, vote_id=vote_id, house_id=body.house_id)
    return {"id": req.id}


@router.post("/{vote_id}/proxies", response_model=ProxyRead, status_code=201)
def record_proxy(vote_id: int, body: ProxyIn, who: VoteManager, session: WriteSession) -> ProxyRead:
    """Record an owner's written proxy for a tenant or other user (R-V8)."""
    proxy = proxy_service.record_proxy(
        session, by=who, vote_id=vote_id, house_id=body.house_id, person_id=body.person_id, document=body.document
    )
    return ProxyRead.model_validate(proxy)


@router.get("/{vote_id}/results", response_model=ResultsRead, responses={404: VoteNotFound.doc()})
def results(vote_id: int, who: CurrentPrincipal, session: ReadSession) -> ResultsRead:
    """The recorded tally; owners of the compound can read it for as long as it is kept (R-V13, R-V15)."""
    _reader(who)
    vote, tallied = results_service.results(session, by=who, vote_id=vote_id)
    if tallied is None:
        raise VotingClosed("not tallied yet", zh="尚未计票")
    return ResultsRead(
        vote_id=vote.id,
        state=vote.state,
        tallied_at=tallied.at,
        announced_at=vote.announced_at,
        ballots=int(tallied.payload["ballots"]),
        items=list(tallied.payload["items"]),
    )


@router.post("/{vote_id}/announce", response_model=VoteRead, responses=_STATE)
def announce(vote_id: int, body: AnnounceIn, who: VoteManager, session: WriteSession) -> VoteRead:
    """Publish results and decision (公示), due within 3 days of closing (R-V13)."""
    return vote_read(session, results_service.announce(session, by=who, vote_id=vote_id, text_=body.text))


@router.get("/{vote_id}/receipts/{receipt}", response_model=ReceiptCheck)
def check_receipt(vote_id: int, receipt: str, who: CurrentPrincipal, session: ReadSession) -> dict[str, Any]:
    """Check that the ballot with this receipt is stored unaltered and counted."""
    _reader(who)
    return results_service.check_receipt(session, by=who, vote_id=vote_id, receipt=receipt[:64])


@router.get("/{vote_id}/verify", response_model=VerifyRead)
def verify(vote_id: int, who: VoteReader, session: ReadSession) -> VerifyRead:
    """Recompute the ballot and event chains, the electorate and the tally from scratch; name tampered rows."""
    vote = vote_setup_service.get(session, by=who, vote_id=vote_id)
    r = results_service.verify(session, vote)
    return VerifyRead(
        vote_id=vote.id,
        ok=r.ok,
        ballots=r.ballots,
        events=r.events,
        tampered_ballots=r.tampered_ballots,
        tampered_events=r.tampered_events,
        electorate_intact=r.electorate_intact,
        tally_matches=r.tally_matches,
        problems=r.problems,
        recount=r.recount,
    )
