"""The staff console: registry pages, roster import, privacy requests and the audit log."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from anju.core.deps import ReadSession
from anju.core.rbac import KernelPerm
from anju.privacy.permissions import PrivacyPerm
from anju.registry.enums import HouseStatus, PersonTagKind, PopulationType
from anju.registry.permissions import RegistryPerm
from anju.web import queries
from anju.web.auth_pages import local_path
from anju.web.deps import COMPOUND_COOKIE, ConsolePage, WebUser, console_guard, selected_compound
from anju.web.nav import home_for
from anju.web.render import age_on, is_htmx, render

router = APIRouter(prefix="/console", include_in_schema=False)
E = TypeVar("E", bound=StrEnum)

AnyStaff = Annotated[ConsolePage, Depends(console_guard())]
RegistryPage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.read))]
PeoplePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.people_read))]
VehiclePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.vehicles_read))]
ImportPage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.roster_import))]
PrivacyPage = Annotated[ConsolePage, Depends(console_guard(PrivacyPerm.manage))]
AuditPage = Annotated[ConsolePage, Depends(console_guard(KernelPerm.audit_read))]


def _int(value: str | None, *, minimum: int | None = None) -> int | None:
    """Lenient integer from a form or query value ("" means not given)."""
    if value is None or not value.strip().lstrip("-").isdigit():
        return None
    n = int(value)
    return max(n, minimum) if minimum is not None else n


def _enum(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _page(value: str | None) -> int:
    return min(_int(value, minimum=1) or 1, 100_000)


def _no_compound(request: Request, ctx: ConsolePage, page: str) -> Response:
    return render(request, "console/empty.html", ctx.context(page))


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
    wanted = _int(compound_id)
    back = local_path(next) or "/console"
    response = RedirectResponse(back if back.startswith("/console") else "/console", status_code=303)
    if wanted is not None and any(c.id == wanted for c in ctx.compounds):
        response.set_cookie(COMPOUND_COOKIE, str(wanted), max_age=30 * 24 * 3600, samesite="lax", path="/")
    return response


@router.get("/compounds")
def compounds(request: Request, ctx: RegistryPage, session: ReadSession) -> Response:
    """Buildings and units with house and occupancy counts, and the site plan."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.compounds")
    layout = queries.compound_layout(session, ctx.compound)
    return render(request, "console/compounds.html", ctx.context("nav.compounds", **layout))


@router.get("/houses")
def houses(
    request: Request,
    ctx: RegistryPage,
    session: ReadSession,
    building_id: str | None = None,
    status: str | None = None,
    q: str | None = None,
    page: str | None = None,
) -> Response:
    """Houses, filtered by building, status and label; htmx reloads only the table."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.houses")
    building, state, label = _int(building_id), _enum(HouseStatus, status), (q or "").strip()[:32]
    result = queries.houses_page(
        session,
        ctx.who,
        compound_id=ctx.compound.id,
        building_id=building,
        status=state,
        q=label or None,
        page=_page(page),
    )
    values: dict[str, Any] = {
        "result": result,
        "statuses": list(HouseStatus),
        "filters": {"building_id": building, "status": state, "q": label},
    }
    if is_htmx(request):
        return render(request, "console/_houses_table.html", ctx.context("nav.houses", **values))
    values["buildings"] = queries.buildings_of(session, ctx.compound.id)
    return render(request, "console/houses.html", ctx.context("nav.houses", **values))


def _residents(
    request: Request,
    ctx: ConsolePage,
    session: ReadSession,
    *,
    q: str | None,
    tag: str | None,
    population_type: str | None,
    page: str | None,
    person: str | None,
) -> Response:
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.residents")
    text, kind, population = (q or "").strip()[:64], _enum(PersonTagKind, tag), _enum(PopulationType, population_type)
    result = queries.residents_page(
        session, ctx.who, compound_id=ctx.compound.id, q=text, tag=kind, population_type=population, page=_page(page)
    )
    values: dict[str, Any] = {
        "result": result,
        "filters": {"q": text, "tag": kind, "population_type": population},
        "tags": list(PersonTagKind),
        "population_types": list(PopulationType),
        "today": date.today(),
        "age_on": age_on,
        "can_unmask": ctx.who.can(RegistryPerm.people_unmask),
    }
    if is_htmx(request):
        return render(request, "console/_residents_table.html", ctx.context("nav.residents", **values))
    person_id = _int(person)
    values["person"] = queries.person_view(session, ctx.who, person_id) if person_id else None
    return render(request, "console/residents.html", ctx.context("nav.residents", **values))


@router.get("/residents")
def residents(
    request: Request,
    ctx: PeoplePage,
    session: ReadSession,
    tag: str | None = None,
    population_type: str | None = None,
    page: str | None = None,
    person: str | None = None,
) -> Response:
    """Residents, masked, filterable by tag and population type."""
    return _residents(request, ctx, session, q=None, tag=tag, population_type=population_type, page=page, person=person)


@router.post("/residents")
def search_residents(
    request: Request,
    ctx: PeoplePage,
    session: ReadSession,
    q: Annotated[str, Form(max_length=64)] = "",
    tag: Annotated[str, Form()] = "",
    population_type: Annotated[str, Form()] = "",
    page: Annotated[str, Form()] = "",
) -> Response:
    """The same list, searched by name or by a full phone / ID number."""
    # A POST although it changes nothing: a phone or ID number typed into the
    # search box then travels in the body, never in a URL, an access log or history.
    return _residents(request, ctx, session, q=q, tag=tag, population_type=population_type, page=page, person=None)


@router.get("/residents/{person_id}")
def resident_detail(person_id: int, request: Request, ctx: PeoplePage, session: ReadSession) -> Response:
    """One resident's panel (htmx), or the list with that panel open."""
    if not is_htmx(request):
        return RedirectResponse(f"/console/residents?person={person_id}", status_code=303)
    person = queries.person_view(session, ctx.who, person_id)
    return render(
        request,
        "console/_person.html",
        ctx.context(
            "nav.residents",
            person=person,
            can_unmask=ctx.who.can(RegistryPerm.people_unmask),
            today=date.today(),
            age_on=age_on,
        ),
    )


@router.get("/vehicles")
def vehicles(
    request: Request, ctx: VehiclePage, session: ReadSession, plate: str | None = None, page: str | None = None
) -> Response:
    """Registered vehicles with their house and owner; htmx reloads only the table."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.vehicles")
    filters = {"plate": (plate or "").strip()[:16]}
    result = queries.vehicles_page(
        session, ctx.who, compound_id=ctx.compound.id, plate=filters["plate"] or None, page=_page(page)
    )
    template = "console/_vehicles_table.html" if is_htmx(request) else "console/vehicles.html"
    return render(request, template, ctx.context("nav.vehicles", result=result, filters=filters))


@router.get("/import")
def roster_import(request: Request, ctx: ImportPage) -> Response:
    """The roster upload form; the browser posts the file to /api/v1/roster/import."""
    return render(
        request, "console/import.html", ctx.context("nav.import", can_export=ctx.who.can(RegistryPerm.roster_export))
    )


@router.get("/privacy")
def privacy(request: Request, ctx: PrivacyPage, session: ReadSession, status: str = "open") -> Response:
    """Data-subject requests with their deadlines; overdue ones first and red."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.privacy")
    status = status if status in ("open", "done", "refused", "all") else "open"
    rows = queries.privacy_requests(
        session, ctx.who, compound_id=ctx.compound.id, status=None if status == "all" else status, today=date.today()
    )
    return render(request, "console/privacy.html", ctx.context("nav.privacy", rows=rows, status=status))


@router.get("/audit")
def audit(request: Request, ctx: AuditPage, session: ReadSession, page: str | None = None) -> Response:
    """The newest reads of unmasked personal data: who, when, which field, why."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.audit")
    result = queries.pii_access_page(session, ctx.who, compound_id=ctx.compound.id, page=_page(page))
    return render(request, "console/audit.html", ctx.context("nav.audit", result=result))
