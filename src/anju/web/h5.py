"""The resident H5 (mobile) pages: my home, my data, my privacy requests."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from anju.core.auth import Principal
from anju.core.deps import ReadSession
from anju.core.rbac import Perm
from anju.privacy.schemas import RequestKind
from anju.web import queries
from anju.web.deps import page_guard
from anju.web.render import render

router = APIRouter(prefix="/h5", include_in_schema=False)
SelfServicePage = Annotated[Principal, Depends(page_guard(Perm.self_service))]


@router.get("")
def my_home(request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """我的家: my household(s) with masked members and vehicles, data export and requests."""
    data = queries.my_home(session, who, today=date.today())
    return render(request, "h5.html", {"who": who, "kinds": list(RequestKind),
                                       "can_screen": who.can(Perm.analytics_read), **data})
