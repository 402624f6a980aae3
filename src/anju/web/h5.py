"""The resident H5 (mobile) home: services first (a notice ticker, one tap to open my usual door, a tile for
everything a resident has, each with its count, a bottom tab bar), and under "我的" my household(s) with masked
members and vehicles, my data export and my privacy requests.

Every count is read through the owning domain's service (never another domain's repository); a tile whose service
refuses the caller (no house yet, say) shows no count rather than failing the home page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.accounts.registration_service import registration_service
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession
from anju.core.errors import AppError
from anju.core.kit.china_time import china_date
from anju.governance.permissions import VotesPerm
from anju.notices.permissions import NoticesPerm
from anju.privacy.schemas import RequestGround, RequestKind
from anju.web import queries
from anju.web.deps import page_guard
from anju.web.render import render

log = logging.getLogger("anju.web.h5")
router = APIRouter(prefix="/h5", include_in_schema=False)
SelfServicePage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
TICKER = 3  # unread notices shown in the ticker

# The home's tiles in order: (key, link, label key). A tile's count comes from `_counters`.
TILES: tuple[tuple[str, str, str], ...] = (
    ("access", "/h5/access", "h5.svc.access"),
    ("repairs", "/h5/repairs", "h5.svc.repairs"),
    ("bills", "/h5/bills", "h5.svc.bills"),
    ("parking", "/h5/parking", "parking.h5.title"),
    ("charging", "/h5/charging", "h5.svc.charging"),
    ("volunteers", "/h5/volunteers", "h5.svc.volunteers"),
    ("notices", "/h5/notices", "h5.svc.notices"),
    ("votes", "/h5/votes", "h5.svc.votes"),
    ("surveys", "/h5/notices#surveys", "h5.svc.surveys"),
    ("decoration", "/h5/decoration", "h5.svc.decoration"),
    ("education", "/h5/education", "h5.svc.education"),
)


@router.get("")
def my_home(request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """我的家: services first, then my household(s), my data and my requests under 我的."""
    from anju.access.decision_service import decision_service
    from anju.notices.service import notice_service

    data = queries.my_home(session, who, today=china_date())
    unread, inbox = notice_service.inbox(session, by=who) if who.person_id is not None else (0, [])
    doors = _safely(lambda: decision_service.my_doors(session, who=who, now=utcnow()), [])
    return render(
        request,
        "h5.html",
        {
            "who": who,
            "kinds": list(RequestKind),
            "grounds": list(RequestGround),
            "tiles": TILES,
            "badges": _counters(session, who, unread),
            "ticker": [n for n, d in inbox if d.read_at is None][:TICKER],
            "door": doors[0] if doors else None,
            "can_screen": who.can(AnalyticsPerm.read),
            # Committee members manage votes and notices from here (issue 11 item 7).
            "committee": who.can(VotesPerm.manage) and who.can(NoticesPerm.manage),
            "claims_waiting": len(registration_service.for_owner(session, who=who)),
            **data,
        },
    )


def _safely(fn: Callable[[], Any], default: Any) -> Any:
    """A service's refusal (no house, no compound) is no count, not a broken home page."""
    try:
        return fn()
    except AppError as exc:
        log.debug("h5 home counter refused: %s", exc)
        return default


def _counters(session: Session, who: Principal, unread_notices: int) -> dict[str, int]:
    """The count on each tile, each read through its domain's service."""
    from anju.access.enums import PassStatus
    from anju.access.visitor_service import visitor_pass_service
    from anju.charging.service import charging_service
    from anju.decoration.enums import LIVE_STATUSES
    from anju.decoration.service import decoration_service
    from anju.fees.service import fee_service
    from anju.governance.service import vote_service
    from anju.notices.service import survey_service
    from anju.parking.service import parking_service
    from anju.volunteers.education import education_service
    from anju.volunteers.service import volunteer_service
    from anju.workorders.service import work_order_service

    now = utcnow()
    cid = min(who.compound_ids) if who.compound_ids else None
    counts: dict[str, Callable[[], int]] = {
        # passes I issued that a visitor can still use, or that wait for my approval
        "access": lambda: sum(
            1
            for p in visitor_pass_service.list(session, who=who, limit=50)
            if p.status in (PassStatus.active, PassStatus.pending) and p.valid_until > now
        ),
        "repairs": lambda: work_order_service.open_count(session, by=who),
        "bills": lambda: fee_service.open_bill_count(session, by=who),
        "parking": lambda: len(parking_service.my_parking(session, by=who)["visitor_cars"]),
        "charging": lambda: sum(1 for s in charging_service.mine(session, who=who) if s.status != "ended"),
        "volunteers": lambda: (
            sum(1 for s in volunteer_service.my_signups(session, who=who, compound_id=cid) if s.checked_out_at is None)
            if cid
            else 0
        ),
        "notices": lambda: unread_notices,
        "votes": lambda: vote_service.open_count(session, who=who),
        "surveys": lambda: sum(1 for _, done in survey_service.open_for(session, by=who) if not done),
        "decoration": lambda: sum(
            1 for a in decoration_service.search(session, who=who, limit=20) if a.status in LIVE_STATUSES
        ),
        "education": lambda: education_service.unread(session, who=who),
    }
    return {key: _safely(fn, 0) for key, fn in counts.items()}
