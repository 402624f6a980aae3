"""One house in the console (issue 11 item 4): its occupants, move-in (a new person as owner, co-owner,
family or tenant with lease dates, with tags and an emergency contact), move-out (ends the links; the
credentials are revoked by the move-out event's subscribers, as in the API flow), vehicles, and its areas
(refused while a vote is open). Every form comes back with a one-line outcome; a refusal writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.routing import APIRouter
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.core.kit.china_time import china_date
from anju.registry.enums import OccupancyRole, PersonTagKind, VehicleClass
from anju.registry.models import House
from anju.registry.permissions import RegistryPerm
from anju.registry.schemas import EmergencyContactIn, HouseUpdate, MoveIn, MoveOut, PersonCreate, VehicleCreate
from anju.registry.service import house_service, move_in, move_out, person_service, vehicle_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import PostedForm, error_message, go_back, outcome, query_int
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

# Included by registry_pages.router (prefix /console).
router = APIRouter(include_in_schema=False)

HousePage = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.read))]
PeopleDesk = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.people_write))]
HouseDesk = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.write))]


def _date(value: str, field: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise Invalid(f"{field}: not a date", zh="日期格式应为 年-月-日", fields=[{"field": field}]) from e


def _text(request: Request, e: Exception) -> str:
    if isinstance(e, ValidationError):
        t = Translator(lang_of(request))
        return t("structure.err.invalid") + " " + "; ".join(f"{x['loc'][-1]}: {x['msg']}" for x in e.errors())[:300]
    return error_message(request, e)


def _back(house: House) -> str:
    return f"/console/house/{house.id}?compound_id={house.compound_id}"


@router.get("/house/{house_id}")
def house_page(house_id: int, request: Request, ctx: HousePage, session: ReadSession) -> Response:
    """The house, its current occupants and vehicles, and the forms of the roles that may change them."""
    house = house_service.get_readable(session, who=ctx.who, house_id=house_id)
    return render(request, "registry/house.html", ctx.context("nav.houses", **_values(session, ctx, house, request)))


def _values(session: Session, ctx: ConsolePage, house: House, request: Request) -> dict[str, Any]:
    # Guards and technicians see the house, not the people in it (issue 17 item 5, minimum necessary).
    roster = ctx.who.can(RegistryPerm.people_read)
    occupancies = house_service.open_occupancies(session, house_id=house.id) if roster else []
    people = {
        o.person_id: person_service.get_readable(session, who=ctx.who, person_id=o.person_id) for o in occupancies
    }
    vehicles, _ = vehicle_service.search(
        session, who=ctx.who, compound_id=house.compound_id, plate=None, active_only=True, offset=0, limit=200
    )
    return {
        "house": house,
        "occupants": [(o, people[o.person_id]) for o in occupancies],
        "vehicles": [v for v in vehicles if v.house_id == house.id],
        "roles": list(OccupancyRole),
        "tags": list(PersonTagKind),
        "vehicle_classes": list(VehicleClass),
        "today": china_date().isoformat(),
        "can_move": ctx.who.can(RegistryPerm.people_write),
        "can_edit": ctx.who.can(RegistryPerm.write),
        **outcome(request),
    }


@router.post("/house/{house_id}/move-in")
def house_move_in(
    house_id: int, request: Request, ctx: PeopleDesk, session: WriteSession, form: PostedForm
) -> Response:
    """A new person moves in: owner, co-owner, family, or tenant with a lease end."""
    house = house_service.get_readable(session, who=ctx.who, house_id=house_id)
    t = Translator(lang_of(request))
    try:
        contact = str(form.get("contact_name") or "").strip()
        person = PersonCreate(
            compound_id=house.compound_id,
            name=str(form.get("name") or "").strip(),
            phone=str(form.get("phone") or "").strip() or None,
            id_number=str(form.get("id_number") or "").strip() or None,
            tags=[PersonTagKind(str(v)) for v in form.getlist("tags") if str(v) in PersonTagKind.__members__],
            contacts=[
                EmergencyContactIn(
                    name=contact, relation="紧急联系人", phone=str(form.get("contact_phone") or "").strip() or None
                )
            ]
            if contact
            else [],
        )
        data = MoveIn(
            person=person,
            role=OccupancyRole(str(form.get("role") or "family")),
            on=_date(str(form.get("on") or ""), "on") or china_date(),
            lease_end=_date(str(form.get("lease_end") or ""), "lease_end"),
        )
        move_in(session, who=ctx.who, house=house, data=data)
    except (AppError, ValidationError, ValueError) as e:
        session.rollback()
        return go_back(request, _back(house), err=_text(request, e) if not isinstance(e, ValueError) else str(e))
    return go_back(request, _back(house), ok=t("house.ok.moved_in", name=person.name))


@router.post("/house/{house_id}/move-out")
def house_move_out(
    house_id: int,
    request: Request,
    ctx: PeopleDesk,
    session: WriteSession,
    person_id: Annotated[str, Form(max_length=20)] = "",
    on: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    """End one person's link (their passes and credentials are revoked by the move-out subscribers)."""
    house = house_service.get_readable(session, who=ctx.who, house_id=house_id)
    try:
        pid = query_int(person_id, minimum=1)
        data = MoveOut(
            person_ids=[pid] if pid else None,
            on=_date(on, "on") or china_date(),
            reason=" ".join(reason.split()) or "move-out",
        )
        move_out(session, who=ctx.who, house=house, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        return go_back(request, _back(house), err=_text(request, e))
    return go_back(request, _back(house), ok=Translator(lang_of(request))("house.ok.moved_out"))


@router.post("/house/{house_id}/vehicles")
def house_vehicle(
    house_id: int,
    request: Request,
    ctx: PeopleDesk,
    session: WriteSession,
    plate: Annotated[str, Form(max_length=16)] = "",
    vehicle_class: Annotated[str, Form(max_length=16)] = "car",
    person_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Register a vehicle to the house (and one of its occupants)."""
    house = house_service.get_readable(session, who=ctx.who, house_id=house_id)
    try:
        data = VehicleCreate(
            compound_id=house.compound_id,
            plate=plate,
            vehicle_class=VehicleClass(vehicle_class)
            if vehicle_class in VehicleClass.__members__
            else VehicleClass.car,
            house_id=house.id,
            person_id=query_int(person_id, minimum=1),
        )
        vehicle_service.create(session, who=ctx.who, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        return go_back(request, _back(house), err=_text(request, e))
    return go_back(request, _back(house), ok=Translator(lang_of(request))("house.ok.vehicle"))


@router.post("/house/{house_id}/area")
def house_area(house_id: int, request: Request, ctx: HouseDesk, session: WriteSession, form: PostedForm) -> Response:
    """Change the house's areas (refused while a vote of the compound is open: the electorate is frozen)."""
    house = house_service.get_readable(session, who=ctx.who, house_id=house_id)
    try:
        fields = {
            name: (str(form.get(name) or "").strip() or None)
            for name in ("registered_area", "surveyed_area", "contract_area")
        }
        house_service.update(session, who=ctx.who, house=house, data=HouseUpdate.model_validate(fields))
    except (AppError, ValidationError) as e:
        session.rollback()
        return go_back(request, _back(house), err=_text(request, e))
    return go_back(request, _back(house), ok=Translator(lang_of(request))("structure.ok.saved"))
