"""Care pages: the care archive with visits and R-E1 missed months (console), and the accessible consent screen
(standard, large print, assisted: R-E3) a grid worker opens on the phone with the person."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.care.enums import ConsentScope, ConsentVariant
from anju.care.permissions import CarePerm
from anju.care.schemas import ConsentCreate, EpisodeAnswer, VisitRecord
from anju.care.service import care_service
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import china_date
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import go_back, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
CarePage = Annotated[ConsolePage, Depends(console_guard(CarePerm.read))]
ConsentPage = Annotated[Principal, Depends(page_guard(CarePerm.manage))]


@router.get("/console/care")
def care_home(request: Request, ctx: CarePage, session: ReadSession) -> Response:
    """关爱服务: the archive (reasons, channel, last activity, consents), open and overdue visits, missed months."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.care"))
    cid = ctx.compound.id
    profiles = [
        care_service.read(session, by=ctx.who, profile=p)
        for p in care_service.profiles(session, by=ctx.who, compound_id=cid)
    ]
    names = {p.id: p for p in profiles}
    visits, overdue_ids = [], set()
    if ctx.who.can(CarePerm.visit):
        visits = care_service.visits(session, by=ctx.who, compound_id=cid, status="open")
        overdue_ids = {v.id for v in care_service.overdue(session, by=ctx.who, compound_id=cid)}
    visits.sort(key=lambda v: (v.id not in overdue_ids, v.kind != "alarm", v.due_on))
    return render(
        request,
        "care/home.html",
        ctx.context(
            "nav.care",
            profiles=profiles,
            names=names,
            visits=visits[:200],
            overdue_ids=overdue_ids,
            missed=care_service.missed_months(session, by=ctx.who, compound_id=cid),
            episodes=care_service.open_episodes(session, by=ctx.who, compound_id=cid),
            can_visit=ctx.who.can(CarePerm.visit),
            can_manage=ctx.who.can(CarePerm.manage),
            today=china_date(),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/care/episodes/{episode_id}/answer")
def care_answer(
    episode_id: int,
    request: Request,
    ctx: CarePage,
    session: WriteSession,
    answered_by: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Someone on the ladder said the person is fine (the person, a contact, a neighbour, the grid worker): the
    ladder stops."""
    t = Translator(lang_of(request))
    try:
        data = EpisodeAnswer(by=answered_by, note=note.strip() or None)
    except ValidationError:
        return go_back(request, "/console/care", err=t("wo.err.invalid"))
    try:
        care_service.answer(session, by=ctx.who, episode_id=episode_id, data=data)
    except AppError as exc:
        return refused(request, session, "/console/care", exc)
    return go_back(request, "/console/care", ok=t("care.recorded"))


@router.post("/console/care/visits/{visit_id}/record")
def care_record_visit(
    visit_id: int,
    request: Request,
    ctx: CarePage,
    session: WriteSession,
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "/console/care",
) -> Response:
    """Close a visit with its outcome from the console."""
    return record_visit_form(request, session, ctx.who, visit_id, outcome, note, back, bad_outcome="wo.err.invalid")


def record_visit_form(
    request: Request,
    session: Session,
    who: Principal,
    visit_id: int,
    outcome: str,
    note: str,
    back: str,
    *,
    bad_outcome: str,
) -> Response:
    """A visit form's post (console or the grid worker's phone): record it through the care service, then go
    back with the result (a second record of one visit is refused by the service)."""
    t = Translator(lang_of(request))
    try:
        data = VisitRecord(outcome=outcome, note=note.strip() or None)
    except ValidationError:
        return go_back(request, back, err=t(bad_outcome))
    try:
        care_service.record_visit(session, by=who, visit_id=visit_id, data=data)
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("care.recorded"))


@router.get("/h5/care/consent/{profile_id}")
def consent_screen(
    profile_id: int, request: Request, who: ConsentPage, session: ReadSession, variant: str = "standard"
) -> Response:
    """R-E2/R-E3: the separate consents for health, fall and location data, in standard, large-print or assisted
    form (read aloud by the browser's speech, ticked by staff with the person)."""
    profile = care_service.get(session, by=who, profile_id=profile_id)
    view = care_service.read(session, by=who, profile=profile)
    v = variant if variant in {x.value for x in ConsentVariant} else "standard"
    return render(
        request,
        "care/consent.html",
        {
            "who": who,
            "profile": view,
            "variant": v,
            "scopes": [s.value for s in ConsentScope],
            "err": request.query_params.get("err"),
            "ok": request.query_params.get("ok"),
        },
    )


@router.post("/h5/care/consent/{profile_id}")
def consent_submit(
    profile_id: int,
    request: Request,
    who: ConsentPage,
    session: WriteSession,
    scope: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "agree",
    given_by: Annotated[str, Form()] = "self",
    variant: Annotated[str, Form()] = "standard",
) -> Response:
    t = Translator(lang_of(request))
    back = f"/h5/care/consent/{profile_id}?variant={variant if variant in {x.value for x in ConsentVariant} else 'standard'}"
    try:
        if action == "withdraw":
            care_service.withdraw_consent(session, by=who, profile_id=profile_id, scope=ConsentScope(scope))
            return go_back(request, back, ok=t("care.consent_withdrawn"))
        data = ConsentCreate(scope=scope, given_by=given_by, variant=variant)
        care_service.give_consent(session, by=who, profile_id=profile_id, data=data)
    except (ValidationError, ValueError):
        return go_back(request, back, err=t("wo.err.invalid"))
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("care.consent_done"))
