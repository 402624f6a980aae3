"""The staff console shell: the landing dashboard and the compound switch."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from anju.core.deps import ReadSession
from anju.web import queries
from anju.web.auth_pages import local_path
from anju.web.deps import COMPOUND_COOKIE, ConsolePage, WebUser, console_guard, selected_compound
from anju.web.forms import query_int
from anju.web.nav import home_for
from anju.web.render import render

router = APIRouter(prefix="/console", include_in_schema=False)

AnyStaff = Annotated[ConsolePage, Depends(console_guard())]


@router.get("")
def dashboard(request: Request, who: WebUser, session: ReadSession) -> Response:
    """The console's landing page; residents and the street office are sent to their own home."""
    if not who.is_staff:
        return RedirectResponse(home_for(who), status_code=303)
    compounds = queries.compounds_of(session, who)
    ctx = ConsolePage(who=who, compounds=compounds, compound=selected_compound(request, compounds))
    data = queries.dashboard(session, who, compound_id=ctx.compound_id, today=date.today())
    return render(request, "console/dashboard.html", ctx.context("dashboard", **data))


@router.get("/switch")
def switch_compound(ctx: AnyStaff, compound_id: str = "", next: str = "/console") -> Response:
    """Remember which of the user's compounds the console shows."""
    wanted = query_int(compound_id)
    back = local_path(next) or "/console"
    response = RedirectResponse(back if back.startswith("/console") else "/console", status_code=303)
    if wanted is not None and any(c.id == wanted for c in ctx.compounds):
        response.set_cookie(COMPOUND_COOKIE, str(wanted), max_age=30 * 24 * 3600, samesite="lax", path="/")
    return response
