"""The resident H5 (mobile) pages: my home, my data, my privacy requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.accounts.registration_service import registration_service
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import Principal
from anju.core.deps import ReadSession
from anju.core.kit.china_time import china_date
from anju.governance.permissions import VotesPerm
from anju.notices.permissions import NoticesPerm
from anju.privacy.schemas import RequestGround, RequestKind
from anju.web import queries
from anju.web.deps import page_guard
from anju.web.render import render

router = APIRouter(prefix="/h5", include_in_schema=False)
SelfServicePage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]


@router.get("")
def my_home(request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """我的家: my household(s) with masked members and vehicles, data export and requests."""
    data = queries.my_home(session, who, today=china_date())
    return render(
        request,
        "h5.html",
        {
            "who": who,
            "kinds": list(RequestKind),
            "grounds": list(RequestGround),
            "badges": _badges(session, who),
            "can_screen": who.can(AnalyticsPerm.read),
            # Committee members manage votes and notices from here (issue 11 item 7).
            "committee": who.can(VotesPerm.manage) and who.can(NoticesPerm.manage),
            "claims_waiting": len(registration_service.for_owner(session, who=who)),
            **data,
        },
    )


def _badges(session: Session, who: Principal) -> dict[str, int]:
    """Counts on the service tiles: unread notices, votes open now, unpaid bills."""
    from anju.fees.enums import BillStatus
    from anju.fees.repository import FeeQuery
    from anju.governance.enums import VoteState
    from anju.governance.repository import VoteRepository
    from anju.notices.repository import NoticeQuery

    return {
        "notices": NoticeQuery(session).unread(who.person_id) if who.person_id is not None else 0,
        "votes": len(VoteRepository(session).search(who, states=[VoteState.open])),
        "bills": FeeQuery(session).bill_rows(who, status=BillStatus.open.value, limit=1)[1],
    }
