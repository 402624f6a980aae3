"""R-V14: owners' requests for an interim meeting, and the duty to convene at ≥ 20 % of owners."""

from __future__ import annotations

from fractions import Fraction

from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict
from anju.governance.electorate_service import electorate_service
from anju.governance.enums import MatterType
from anju.governance.exceptions import NotAnOwner
from anju.governance.models import MeetingRequest
from anju.governance.repository import VoteRepository
from anju.registry.models import Person

INTERIM_SHARE = Fraction(1, 5)  # 20 % of owners by headcount


class MeetingService:
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
        groups = electorate_service.groups(session, compound_id=compound_id, matter_type=MatterType.other_major)
        requesters = VoteRepository(session).meeting_requesters(compound_id)
        asking = sum(1 for g in groups if g.people & requesters)
        return len(groups), asking, len(groups) > 0 and Fraction(asking, len(groups)) >= INTERIM_SHARE


meeting_service = MeetingService()
