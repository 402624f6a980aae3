"""A person in the console (issue 11 item 4): add a person, and edit one (name, gender, birth date,
population type, phone, ID number, tags, emergency contacts) through the registry's person service, with the
API's validation (`PersonCreate` / `PersonUpdate`: phone and ID number checks, a duplicate ID number is a 409).

Phone and ID number are never shown in the clear here: the form shows the masked value, a blank field keeps
the stored number, a typed one replaces it, and "remove" clears it. Emergency contacts the user does not
retype keep their stored phone. Every change is in the change records (the service writes them)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRouter
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Invalid
from anju.registry.enums import Gender, PersonTagKind, PopulationType
from anju.registry.models import Person
from anju.registry.permissions import RegistryPerm
from anju.registry.schemas import EmergencyContactIn, PersonCreate, PersonUpdate
from anju.registry.service import person_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import PostedForm, error_message, go_back, outcome, query_int
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

# Included by registry_pages.router (prefix /console).
router = APIRouter(include_in_schema=False)

PeopleDesk = Annotated[ConsolePage, Depends(console_guard(RegistryPerm.people_write))]
MAX_CONTACTS = 5  # PersonCreate / PersonUpdate allow five


def _text(request: Request, e: Exception) -> str:
    if isinstance(e, ValidationError):
        t = Translator(lang_of(request))
        return t("structure.err.invalid") + " " + "; ".join(f"{x['loc'][-1]}: {x['msg']}" for x in e.errors())[:300]
    return error_message(request, e, fallback="structure.err.invalid")


def _field(form: FormData, name: str, limit: int = 64) -> str:
    return str(form.get(name) or "").strip()[:limit]


def _date(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise Invalid(f"{field}: not a date", zh="日期格式应为 年-月-日", fields=[{"field": field}]) from e


def _enum_or_none(kind: type[Any], value: str, field: str) -> Any:
    if not value:
        return None
    try:
        return kind(value)
    except ValueError as e:
        raise Invalid(f"{field}: unknown value", zh="选项无效", fields=[{"field": field}]) from e


def _tags(form: FormData) -> list[PersonTagKind]:
    return [PersonTagKind(str(v)) for v in form.getlist("tags") if str(v) in PersonTagKind.__members__]


def _new_contact(form: FormData) -> EmergencyContactIn | None:
    name = _field(form, "contact_new_name")
    if not name:
        return None
    return EmergencyContactIn(
        name=name,
        relation=_field(form, "contact_new_relation", 32) or "紧急联系人",
        phone=_field(form, "contact_new_phone", 20) or None,
    )


def _house_link(request: Request) -> int | None:
    return query_int(request.query_params.get("house"), minimum=1)


def _suffix(request: Request) -> str:
    house = _house_link(request)
    return f"&house={house}" if house else ""


def _render(
    request: Request,
    ctx: ConsolePage,
    session: Session,
    *,
    person: Person | None,
    status_code: int = 200,
    **values: Any,
) -> Response:
    detail = person_service.detail(session, person) if person is not None else None
    return render(
        request,
        "registry/person_edit.html",
        ctx.context(
            "nav.residents",
            person=person,
            detail=detail,
            genders=list(Gender),
            population_types=list(PopulationType),
            tags=list(PersonTagKind),
            max_contacts=MAX_CONTACTS,
            house_id=_house_link(request),
            **{**outcome(request), **values},
        ),
        status_code=status_code,
    )


@router.get("/person/new")
def new_person_page(request: Request, ctx: PeopleDesk, session: ReadSession) -> Response:
    """The form for a new person in the selected compound (to move them in, use a house's page)."""
    return _render(request, ctx, session, person=None, form={})


@router.post("/person/new")
def create_person(request: Request, ctx: PeopleDesk, session: WriteSession, form: PostedForm) -> Response:
    """Add a person to the selected compound; a refusal writes nothing and keeps what was typed (not the numbers)."""
    if ctx.compound is None:
        return go_back(request, "/console/residents")
    kept = {k: _field(form, k) for k in ("name", "birth_date", "gender", "population_type")}
    try:
        contact = _new_contact(form)
        data = PersonCreate(
            compound_id=ctx.compound.id,
            name=_field(form, "name"),
            gender=_enum_or_none(Gender, _field(form, "gender"), "gender"),
            birth_date=_date(_field(form, "birth_date"), "birth_date"),
            phone=_field(form, "phone", 20) or None,
            id_number=_field(form, "id_number", 18) or None,
            population_type=_enum_or_none(PopulationType, _field(form, "population_type"), "population_type")
            or PopulationType.registered,
            tags=_tags(form),
            contacts=[contact] if contact else [],
        )
        person = person_service.create(session, who=ctx.who, data=data)
    except (AppError, ValidationError) as e:
        session.rollback()
        status = e.status_code if isinstance(e, AppError) else 422
        return _render(request, ctx, session, person=None, status_code=status, err=_text(request, e), form=kept)
    t = Translator(lang_of(request))
    target = f"/console/person/{person.id}/edit?compound_id={person.compound_id}{_suffix(request)}"
    return go_back(request, target, ok=t("person.ok.created", name=person.name))


@router.get("/person/{person_id}/edit")
def edit_person_page(person_id: int, request: Request, ctx: PeopleDesk, session: ReadSession) -> Response:
    """One person's edit form (another compound's person is not found)."""
    person = person_service.get_readable(session, who=ctx.who, person_id=person_id)
    return _render(request, ctx, session, person=person)


def _update_from(session: Session, person: Person, form: FormData) -> PersonUpdate:
    """The PersonUpdate a posted edit form asks for: only the numbers typed or removed, contacts only if changed."""
    values: dict[str, Any] = {
        "name": _field(form, "name"),
        "gender": _enum_or_none(Gender, _field(form, "gender"), "gender"),
        "birth_date": _date(_field(form, "birth_date"), "birth_date"),
        "population_type": _enum_or_none(PopulationType, _field(form, "population_type"), "population_type"),
        "tags": _tags(form),
    }
    for name, limit in (("phone", 20), ("id_number", 18)):
        typed = _field(form, name, limit)
        if typed:
            values[name] = typed
        elif form.get(f"clear_{name}") == "true":
            values[name] = None
    stored = person_service.contacts_for_edit(session, person)
    contacts: list[EmergencyContactIn] = []
    for i, old in enumerate(stored):
        if form.get(f"contact_{i}_remove") == "true":
            continue
        phone = _field(form, f"contact_{i}_phone", 20)
        contacts.append(
            EmergencyContactIn(
                name=_field(form, f"contact_{i}_name") or old.name,
                relation=_field(form, f"contact_{i}_relation", 32) or old.relation,
                phone=phone or old.phone,
            )
        )
    new = _new_contact(form)
    if new is not None:
        contacts.append(new)
    if [c.model_dump() for c in contacts] != [c.model_dump() for c in stored]:
        values["contacts"] = contacts
    return PersonUpdate.model_validate(values)


@router.post("/person/{person_id}/edit")
def edit_person(person_id: int, request: Request, ctx: PeopleDesk, session: WriteSession, form: PostedForm) -> Response:
    """Save a person's details through the person service (same checks and change records as the API)."""
    person = person_service.get_readable(session, who=ctx.who, person_id=person_id)
    t = Translator(lang_of(request))
    try:
        if not _field(form, "name"):
            raise Invalid("a name is required", zh="请填写姓名", fields=[{"field": "name"}])
        person_service.update(session, who=ctx.who, person=person, data=_update_from(session, person, form))
    except (AppError, ValidationError) as e:
        session.rollback()
        person = person_service.get_readable(session, who=ctx.who, person_id=person_id)
        status = e.status_code if isinstance(e, AppError) else 422
        return _render(request, ctx, session, person=person, status_code=status, err=_text(request, e))
    target = f"/console/person/{person.id}/edit?compound_id={person.compound_id}{_suffix(request)}"
    return go_back(request, target, ok=t("structure.ok.saved"))
