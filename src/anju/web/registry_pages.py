"""Registry pages: compounds with their site plan, houses, residents (masked, searchable), vehicles, and the
roster import form."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from anju.core.deps import ReadSession
from anju.core.kit.china_time import china_date
from anju.registry.enums import HouseStatus, PersonTagKind, PopulationType
from anju.registry.permissions import RegistryPerm
from anju.web import queries
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import page_number, parse_enum, query_int
from anju.web.render import age_on, is_htmx, render

router = APIRouter(prefix="/console", include_in_schema=False)

RegistryPage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.read))]
PeoplePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.people_read))]
VehiclePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.vehicles_read))]
ImportPage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.roster_import))]


def _no_compound(request: Request, ctx: ConsolePage, page: str) -> Response:
    return render(request, "console/empty.html", ctx.context(page))


@router.get("/compounds")
def compounds(request: Request, ctx: RegistryPage, session: ReadSession) -> Response:
    """Buildings and units with house and occupancy counts, and the site plan."""
    if ctx.compound is None:
        return _no_compound(request, ctx, "nav.compounds")
    layout = queries.compound_layout(session, ctx.compound)
    return render(request, "registry/compounds.html", ctx.context("nav.compounds", **layout))


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
    building, state, label = query_int(building_id), parse_enum(HouseStatus, status), (q or "").strip()[:32]
    result = queries.houses_page(
        session,
        ctx.who,
        compound_id=ctx.compound.id,
        building_id=building,
        status=state,
        q=label or None,
        page=page_number(page),
    )
    values: dict[str, Any] = {
        "result": result,
        "statuses": list(HouseStatus),
        "filters": {"building_id": building, "status": state, "q": label},
    }
    if is_htmx(request):
        return render(request, "registry/_houses_table.html", ctx.context("nav.houses", **values))
    values["buildings"] = queries.buildings_of(session, ctx.compound.id)
    return render(request, "registry/houses.html", ctx.context("nav.houses", **values))


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
    text, kind, population = (
        (q or "").strip()[:64],
        parse_enum(PersonTagKind, tag),
        parse_enum(PopulationType, population_type),
    )
    result = queries.residents_page(
        session,
        ctx.who,
        compound_id=ctx.compound.id,
        q=text,
        tag=kind,
        population_type=population,
        page=page_number(page),
    )
    values: dict[str, Any] = {
        "result": result,
        "filters": {"q": text, "tag": kind, "population_type": population},
        "tags": list(PersonTagKind),
        "population_types": list(PopulationType),
        "today": china_date(),
        "age_on": age_on,
        "can_unmask": ctx.who.can(RegistryPerm.people_unmask),
        "can_add": ctx.who.can(RegistryPerm.people_write),
    }
    if is_htmx(request):
        return render(request, "registry/_residents_table.html", ctx.context("nav.residents", **values))
    person_id = query_int(person)
    values["person"] = queries.person_view(session, ctx.who, person_id) if person_id else None
    return render(request, "registry/residents.html", ctx.context("nav.residents", **values))


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
        "registry/_person.html",
        ctx.context(
            "nav.residents",
            person=person,
            can_unmask=ctx.who.can(RegistryPerm.people_unmask),
            can_add=ctx.who.can(RegistryPerm.people_write),
            today=china_date(),
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
        session, ctx.who, compound_id=ctx.compound.id, plate=filters["plate"] or None, page=page_number(page)
    )
    template = "registry/_vehicles_table.html" if is_htmx(request) else "registry/vehicles.html"
    return render(request, template, ctx.context("nav.vehicles", result=result, filters=filters))


@router.get("/import")
def roster_import(request: Request, ctx: ImportPage) -> Response:
    """The roster upload form; the browser posts the file to /api/v1/roster/import."""
    return render(
        request,
        "registry/import.html",
        ctx.context(
            "nav.import",
            can_export=ctx.who.can(RegistryPerm.roster_export),
            can_create_houses=ctx.who.can(RegistryPerm.structure),
        ),
    )


# Compound structure pages (issue 11 item 3) live in their own module, under the same /console prefix.
from anju.web.structure_pages import router as structure_router  # noqa: E402

router.include_router(structure_router)

from anju.web.occupancy_pages import router as occupancy_router  # noqa: E402

router.include_router(occupancy_router)

from anju.web.person_pages import router as person_router  # noqa: E402

router.include_router(person_router)
