"""The 数据大屏: a dark full-screen dashboard of aggregate counts (never names)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from anju.analytics.permissions import AnalyticsPerm
from anju.analytics.queries import overview
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession
from anju.core.kit.china_time import china_date
from anju.web import queries
from anju.web.deps import page_guard
from anju.web.nav import H5_ROLES, home_for
from anju.web.render import render

router = APIRouter(include_in_schema=False)
AnalyticsViewer = Annotated[Principal, Depends(page_guard(AnalyticsPerm.read))]


@router.get("/screen")
def screen(request: Request, who: AnalyticsViewer, session: ReadSession, compound_id: str | None = None) -> Response:
    """Population, houses, care tags and vehicles for the user's compounds, or one of them."""
    wanted = int(compound_id) if compound_id and compound_id.isdigit() else None
    data = overview(session, who=who, compound_id=wanted, today=china_date())
    return render(
        request,
        "screen.html",
        {
            "who": who,
            "data": data,
            "compound_id": wanted,
            "home": home_for(who),
            "is_h5": who.role in H5_ROLES,
            "compounds": queries.compounds_of(session, who),
            "generated_at": utcnow(),
        },
    )
