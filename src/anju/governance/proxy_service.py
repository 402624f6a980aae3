"""Who else may cast an owner's ballot: recorded proxies (R-V8) and requests for a paper ballot (R-V16)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound
from anju.governance.ballot_service import already_voted
from anju.governance.enums import VoteState
from anju.governance.exceptions import HouseNotInElectorate, NotAnOwner, VoteStateConflict, VotingClosed
from anju.governance.models import PaperRequest, VoteProxy
from anju.governance.repository import VoteRepository
from anju.governance.setup_service import vote_setup_service
from anju.registry.models import Person


class ProxyService:
    def request_paper(self, session: Session, *, by: Principal, vote_id: int, house_id: int) -> PaperRequest:
        """R-V16: an owner asks for a paper ballot instead of voting online; the committee sees the request."""
        by.require(AccountsPerm.self_service)
        vote = vote_setup_service.get(session, by=by, vote_id=vote_id)
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
            raise already_voted(existing)
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
        vote = vote_setup_service.get_managed(session, by=by, vote_id=vote_id)
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


proxy_service = ProxyService()
