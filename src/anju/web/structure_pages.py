"""Compound structure pages (issue 11 item 3): a new compound (platform admins), the selected compound's
details and site plan size, and the generator with its preview. The forms post here and come back with a
one-line outcome; nothing is half-written on a refusal (the request boundary rolls back)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.core.config import get_settings
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid, TooLarge
from anju.registry.enums import AreaSource, OrganisationKind
from anju.registry.house_import import import_houses
from anju.registry.models import Organisation
from anju.registry.permissions import RegistryPerm
from anju.registry.schemas import CompoundCreate
from anju.registry.structure_schemas import DEFAULT_PATTERN, CompoundUpdate, GeneratorSpec
from anju.registry.structure_service import CONFIRM_ABOVE, structure_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import error_message, go_back, outcome, query_int, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

# Included by registry_pages.router (prefix /console).
router = APIRouter(include_in_schema=False)

StructurePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.structure))]


def _orgs(session: Session) -> dict[str, list[Organisation]]:
    rows = session.execute(select(Organisation).order_by(Organisation.id)).scalars()
    out: dict[str, list[Organisation]] = {k.value: [] for k in OrganisationKind}
    for o in rows:
        out[o.kind.value].append(o)
    return out


def _validation_text(request: Request, e: ValidationError) -> str:
    t = Translator(lang_of(request))
    parts = [f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
    return t("structure.err.invalid") + " " + "; ".join(parts)[:300]


def _page(request: Request, ctx: ConsolePage, session: Session, **values: Any) -> Response:
    status_code = values.pop("status_code", 200)
    gen = values.pop("gen", {})
    return render(
        request,
        "registry/structure.html",
        ctx.context(
            "nav.structure",
            orgs=_orgs(session),
            can_create=ctx.who.can(RegistryPerm.compound_create),
            area_sources=list(AreaSource),
            default_pattern=DEFAULT_PATTERN,
            confirm_above=CONFIRM_ABOVE,
            gen=gen,
            **{**outcome(request), **values},
        ),
        status_code=status_code,
    )


@router.get("/structure")
def structure(request: Request, ctx: StructurePage, session: ReadSession) -> Response:
    """The compound form, the selected compound's details and the generator."""
    return _page(request, ctx, session)


def _org_id(value: str) -> int | None:
    return query_int(value, minimum=1)


@router.post("/structure/compounds")
def create_compound(
    request: Request,
    ctx: StructurePage,
    session: WriteSession,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    district: Annotated[str, Form(max_length=100)] = "",
    property_org_id: Annotated[str, Form(max_length=20)] = "",
    street_org_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A new compound (platform admins); then its page, to generate its buildings."""
    try:
        data = CompoundCreate(
            code=code.strip(),
            name=name.strip(),
            address=address.strip(),
            district=district.strip() or None,
            property_org_id=_org_id(property_org_id),
            street_org_id=_org_id(street_org_id),
        )
        c = structure_service.create_compound(session, who=ctx.who, data=data)
    except ValidationError as e:
        return go_back(request, "/console/structure", err=_validation_text(request, e))
    except AppError as e:
        return refused(request, session, "/console/structure", e)
    t = Translator(lang_of(request))
    return go_back(request, f"/console/structure?compound_id={c.id}", ok=t("structure.ok.created", name=c.name))


@router.post("/structure/compound")
def update_compound(
    request: Request,
    ctx: StructurePage,
    session: WriteSession,
    name: Annotated[str, Form(max_length=200)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    district: Annotated[str, Form(max_length=100)] = "",
    property_org_id: Annotated[str, Form(max_length=20)] = "",
    street_org_id: Annotated[str, Form(max_length=20)] = "",
    plan_width: Annotated[str, Form(max_length=10)] = "",
    plan_height: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Edit the selected compound: names, address, street office, property company, site plan size."""
    if ctx.compound is None:
        return go_back(request, "/console/structure")
    back = f"/console/structure?compound_id={ctx.compound.id}"
    try:
        plan = dict(ctx.compound.site_plan or {"gates": [], "buildings": []})
        width, height = query_int(plan_width), query_int(plan_height)
        if width is not None:
            plan["width"] = width
        if height is not None:
            plan["height"] = height
        fields: dict[str, Any] = {
            "name": name.strip() or None,
            "address": address.strip() or None,
            "district": district.strip() or None,
            "property_org_id": _org_id(property_org_id),
            "street_org_id": _org_id(street_org_id),
        }
        if width is not None or height is not None:
            fields["site_plan"] = plan
        data = CompoundUpdate(**fields)
        structure_service.update_compound(session, who=ctx.who, compound=ctx.compound, data=data)
    except ValidationError as e:
        return go_back(request, back, err=_validation_text(request, e))
    except AppError as e:
        return refused(request, session, back, e)
    return go_back(request, back, ok=Translator(lang_of(request))("structure.ok.saved"))


def _areas(text: str) -> dict[int, Decimal]:
    """ "1=89.5, 2=120" (house type on the floor = m²) → {1: 89.5, 2: 120}."""
    out: dict[int, Decimal] = {}
    for part in text.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        n = query_int(key.strip(), minimum=1)
        try:
            area = Decimal(value.strip())
        except InvalidOperation:
            area = None
        if not sep or n is None or area is None or not area.is_finite():
            raise Invalid(f"areas: {part!r} is not type=m²", zh=f"户型面积格式应为 户型=面积：{part}")
        out[n] = area
    return out


@router.post("/structure/generate")
def generate(
    request: Request,
    ctx: StructurePage,
    session: WriteSession,
    buildings_from: Annotated[str, Form(max_length=10)] = "1",
    buildings_to: Annotated[str, Form(max_length=10)] = "",
    units: Annotated[str, Form(max_length=10)] = "",
    floors_from: Annotated[str, Form(max_length=10)] = "1",
    floors_to: Annotated[str, Form(max_length=10)] = "",
    houses_per_floor: Annotated[str, Form(max_length=10)] = "",
    label_pattern: Annotated[str, Form(max_length=64)] = DEFAULT_PATTERN,
    areas: Annotated[str, Form(max_length=500)] = "",
    area_source: Annotated[str, Form(max_length=32)] = AreaSource.surveyed.value,
    confirm: Annotated[str, Form(max_length=10)] = "",
    action: Annotated[str, Form(max_length=16)] = "preview",
) -> Response:
    """Preview the structure, or create it in one step (confirmation above the limit)."""
    if ctx.compound is None:
        return go_back(request, "/console/structure")
    gen = {
        "buildings_from": buildings_from,
        "buildings_to": buildings_to,
        "units": units,
        "floors_from": floors_from,
        "floors_to": floors_to,
        "houses_per_floor": houses_per_floor,
        "label_pattern": label_pattern,
        "areas": areas,
        "area_source": area_source,
    }
    t = Translator(lang_of(request))
    try:
        spec = GeneratorSpec.model_validate(
            {
                **{k: query_int(v) for k, v in gen.items() if k not in ("label_pattern", "areas", "area_source")},
                "label_pattern": label_pattern,
                "areas": _areas(areas),
                "area_source": area_source,
                "confirm": confirm == "true",
            }
        )
        preview = structure_service.generate(
            session, who=ctx.who, compound=ctx.compound, spec=spec, dry_run=action != "generate"
        )
    except ValidationError as e:
        session.rollback()
        return _page(request, ctx, session, gen=gen, err=_validation_text(request, e), status_code=422)
    except AppError as e:
        session.rollback()
        return _page(request, ctx, session, gen=gen, err=error_message(request, e), status_code=e.status_code)
    if preview.created:
        ok = t("structure.ok.generated", buildings=preview.buildings, units=preview.units, houses=preview.houses)
        return go_back(request, f"/console/structure?compound_id={ctx.compound.id}", ok=ok)
    session.rollback()  # a preview writes nothing
    return _page(request, ctx, session, gen=gen, preview=preview)


HouseFilePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.write))]


@router.post("/structure/houses-import")
def houses_import_form(
    request: Request,
    ctx: HouseFilePage,
    session: WriteSession,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Import house areas from a file; the page shows the row-by-row report (a vote open: refused)."""
    if ctx.compound is None:
        return go_back(request, "/console/structure")
    limit = get_settings().upload_max_bytes
    data = file.file.read(limit + 1)
    try:
        if len(data) > limit:
            raise TooLarge(f"file larger than {limit} bytes", zh=f"文件超过 {limit // 1024} KB 上限")
        report = import_houses(
            session,
            who=ctx.who,
            compound_id=ctx.compound.id,
            filename=file.filename or "",
            data=data,
            dry_run=dry_run == "true",
        )
    except AppError as e:
        session.rollback()
        return _page(request, ctx, session, err=error_message(request, e), status_code=e.status_code)
    return _page(request, ctx, session, house_report=report)
