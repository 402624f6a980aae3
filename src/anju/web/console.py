"""The staff console shell: the landing dashboard and the compound switch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.access.permissions import AccessPerm
from anju.accounts.permissions import AccountsPerm
from anju.alarms.permissions import AlarmsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession
from anju.core.kit.china_time import china_date, china_datetime
from anju.core.rbac import Role
from anju.facilities.permissions import FacilitiesPerm
from anju.fees.permissions import FeesPerm
from anju.web import queries
from anju.web.auth_pages import local_path
from anju.web.deps import COMPOUND_COOKIE, ConsolePage, WebUser, console_guard, selected_compound
from anju.web.forms import query_int
from anju.web.nav import home_for
from anju.web.render import render
from anju.workorders.permissions import WorkOrdersPerm

router = APIRouter(prefix="/console", include_in_schema=False)

AnyStaff = Annotated[ConsolePage, Depends(console_guard())]


@router.get("")
def dashboard(request: Request, who: WebUser, session: ReadSession) -> Response:
    """The console's landing page; residents and the street office are sent to their own home."""
    if not who.is_staff:
        return RedirectResponse(home_for(who), status_code=303)
    compounds = queries.compounds_of(session, who)
    ctx = ConsolePage(who=who, compounds=compounds, compound=selected_compound(request, compounds))
    data = queries.dashboard(session, who, compound_id=ctx.compound_id, today=china_date())
    todos = manager_todos(session, who, compound_id=ctx.compound_id) if who.role in TODO_ROLES else None
    return render(request, "console/dashboard.html", ctx.context("dashboard", todos=todos, **data))


TODO_ROLES = frozenset({Role.property_manager, Role.platform_admin})


@dataclass(frozen=True)
class Todo:
    key: str  # message key, also the data-todo id
    value: int | str
    href: str
    alert: bool  # needs attention (shown red when non-zero)


def manager_todos(session: Session, who: Principal, *, compound_id: int | None) -> list[Todo]:
    """A manager's to-dos for the selected compound, each figure from the domain that owns it."""
    from anju.access.visitor_service import visitor_count
    from anju.accounts.registration_service import registration_service
    from anju.alarms.service import open_alarm_count
    from anju.facilities.service import due_list
    from anju.fees.service import collected_fen
    from anju.workorders.service import overdue_order_count

    if compound_id is None:
        return []
    now = utcnow()
    today = china_date(now)
    day_start = china_datetime(today)
    month_start = china_datetime(today.replace(day=1))
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    out: list[Todo] = []
    if who.can(AlarmsPerm.read):
        n = open_alarm_count(session, compound_id=compound_id)
        out.append(Todo("todo.open_alarms", n, "/console/alarms", n > 0))
    if who.can(WorkOrdersPerm.read):
        n = overdue_order_count(session, compound_id=compound_id, now=now)
        out.append(Todo("todo.overdue_orders", n, "/console/workorders", n > 0))
    if who.can(AccessPerm.read):
        n = visitor_count(session, compound_id=compound_id, start=day_start, end=day_start + timedelta(days=1))
        out.append(Todo("todo.visitors_today", n, "/console/access", False))
    if who.can(FeesPerm.read):
        fen = collected_fen(session, compound_id=compound_id, start=month_start, end=china_datetime(next_month))
        out.append(Todo("todo.collected_month", f"{Decimal(fen) / 100:,.2f}", "/console/fees", False))
    if who.can(FacilitiesPerm.read):
        n = len(due_list(session, compound_id=compound_id, today=today, within_days=7))
        out.append(Todo("todo.inspections_due", n, "/console/facilities", n > 0))
    if who.can(AccountsPerm.claims_verify) and who.in_scope(compound_id):
        n = len(registration_service.queue(session, who=who, compound_id=compound_id))
        out.append(Todo("todo.pending_claims", n, "/console/claims", n > 0))
    return out


@router.get("/switch")
def switch_compound(ctx: AnyStaff, compound_id: str = "", next: str = "/console") -> Response:
    """Remember which of the user's compounds the console shows."""
    wanted = query_int(compound_id)
    back = local_path(next) or "/console"
    response = RedirectResponse(back if back.startswith("/console") else "/console", status_code=303)
    if wanted is not None and any(c.id == wanted for c in ctx.compounds):
        response.set_cookie(COMPOUND_COOKIE, str(wanted), max_age=30 * 24 * 3600, samesite="lax", path="/")
    return response
