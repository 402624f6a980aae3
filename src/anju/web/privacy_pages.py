"""Privacy pages: data-subject requests with their deadlines, and the log of reads of unmasked personal data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from anju.core.deps import ReadSession
from anju.core.kit.china_time import china_date
from anju.core.rbac import KernelPerm
from anju.privacy.breach_service import breach_service
from anju.privacy.permissions import PrivacyPerm
from anju.web import queries
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import page_number
from anju.web.render import render

router = APIRouter(prefix="/console", include_in_schema=False)

PrivacyPage = Annotated[ConsolePage, Depends(console_guard(PrivacyPerm.manage))]
AuditPage = Annotated[ConsolePage, Depends(console_guard(KernelPerm.audit_read))]


def _no_compound(request: Request, ctx: ConsolePage, page: str) -> Response:
    return render(request, "console/empty.html", ctx.context(page))


@router.get("/privacy")
def privacy(request: Request, ctx: PrivacyPage, session: ReadSession, status: str = "open") -> Response:
    """Data-subject requests with their deadlines; overdue ones first and red."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.privacy")
    status = status if status in ("open", "done", "refused", "all") else "open"
    rows = queries.privacy_requests(
        session, ctx.who, compound_id=ctx.compound.id, status=None if status == "all" else status, today=china_date()
    )
    return render(request, "privacy/requests.html", ctx.context("nav.privacy", rows=rows, status=status))


@router.get("/privacy/breaches")
def breaches(request: Request, ctx: PrivacyPage, session: ReadSession) -> Response:
    """R-P7: breach incidents with the state of both notices and their deadlines, in China time."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.privacy")
    incidents = [b for b in breach_service.list(session, who=ctx.who) if b.compound_id == ctx.compound.id]
    return render(request, "privacy/breaches.html", ctx.context("nav.privacy", incidents=incidents))


@router.get("/audit")
def audit(request: Request, ctx: AuditPage, session: ReadSession, page: str | None = None) -> Response:
    """The newest reads of unmasked personal data: who, when, which field, why."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.audit")
    result = queries.pii_access_page(session, ctx.who, compound_id=ctx.compound.id, page=page_number(page))
    return render(request, "privacy/audit.html", ctx.context("nav.audit", result=result))
