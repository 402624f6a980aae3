"""Volunteer pages (邻里守望, issue 18): residents register, sign up, check in and out and exchange points on H5;
staff post patrol shifts and rewards and see the roster in the console. Every rule lives in volunteers.service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import CHINA_TZ
from anju.volunteers.enums import ActivityKind
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import ActivityIn, RewardIn, VolunteerIn
from anju.volunteers.service import volunteer_service
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import form_action, go_back, outcome, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
VolunteerDesk = Annotated[ConsolePage, Depends(console_guard(VolunteersPerm.read))]
H5 = "/h5/volunteers"
CONSOLE = "/console/volunteers"


def _compound(who: Principal) -> int | None:
    return min(who.compound_ids) if who.compound_ids else None


@router.get(H5)
def my_volunteering(request: Request, who: ResidentPage, session: ReadSession) -> Response:
    cid = _compound(who)
    me = volunteer_service.registration(session, who=who, compound_id=cid) if cid else None
    signups = volunteer_service.my_signups(session, who=who, compound_id=cid) if cid else []
    mine = {s.activity_id: s for s in signups}
    return render(
        request,
        "volunteers/h5.html",
        {
            "who": who,
            "me": me,
            "activities": volunteer_service.activities(session, who=who, now=utcnow()),
            "mine": mine,
            "ledger": volunteer_service.ledger(session, who=who, compound_id=cid) if me and cid else [],
            "rewards": volunteer_service.rewards(session, who=who, compound_id=cid) if cid else [],
            **outcome(request),
        },
    )


def _act(request: Request, session: Session, fn: Any, ok_key: str) -> Response:
    """Run one resident action; a refused one leaves nothing behind (the request would commit what it flushed)."""
    return form_action(request, session, H5, fn, ok=ok_key, invalid="vol.err.form")


@router.post(H5 + "/register")
def register(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    display_name: Annotated[str, Form(max_length=32)] = "",
    skills: Annotated[str, Form(max_length=200)] = "",
    availability: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    cid = _compound(who) or 0
    parts = [s.strip() for s in skills.replace("，", ",").split(",") if s.strip()][:10]
    return _act(
        request,
        session,
        lambda: volunteer_service.register(
            session,
            who=who,
            data=VolunteerIn(compound_id=cid, display_name=display_name, skills=parts, availability=availability),
        ),
        "vol.ok.registered",
    )


@router.post(H5 + "/activities/{activity_id}/sign-up")
def sign_up(request: Request, activity_id: int, who: ResidentPage, session: WriteSession) -> Response:
    return _act(
        request,
        session,
        lambda: volunteer_service.sign_up(session, who=who, activity_id=activity_id, now=utcnow()),
        "vol.ok.signed_up",
    )


@router.post(H5 + "/signups/{signup_id}/check-in")
def check_in(request: Request, signup_id: int, who: ResidentPage, session: WriteSession) -> Response:
    return _act(
        request,
        session,
        lambda: volunteer_service.check_in(session, who=who, signup_id=signup_id, now=utcnow()),
        "vol.ok.checked_in",
    )


@router.post(H5 + "/signups/{signup_id}/check-out")
def check_out(request: Request, signup_id: int, who: ResidentPage, session: WriteSession) -> Response:
    return _act(
        request,
        session,
        lambda: volunteer_service.check_out(session, who=who, signup_id=signup_id, now=utcnow()),
        "vol.ok.checked_out",
    )


@router.post(H5 + "/rewards/{reward_id}/redeem")
def redeem(
    request: Request,
    reward_id: int,
    who: ResidentPage,
    session: WriteSession,
    request_key: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    return _act(
        request,
        session,
        lambda: volunteer_service.redeem(session, who=who, reward_id=reward_id, request_key=request_key or None),
        "vol.ok.redeemed",
    )


@router.get(CONSOLE)
def volunteer_desk(request: Request, ctx: VolunteerDesk, session: ReadSession) -> Response:
    cid = ctx.compound_id
    return render(
        request,
        "volunteers/console.html",
        ctx.context(
            "nav.volunteers",
            roster=volunteer_service.roster(session, who=ctx.who, compound_id=cid) if cid else [],
            activities=[
                a for a in volunteer_service.activities(session, who=ctx.who, now=utcnow()) if a.compound_id == cid
            ],
            rewards=volunteer_service.rewards(session, who=ctx.who, compound_id=cid) if cid else [],
            kinds=list(ActivityKind),
            can_manage=ctx.who.can(VolunteersPerm.manage),
            **outcome(request),
        ),
    )


@router.post(CONSOLE + "/activities")
def new_activity(
    request: Request,
    ctx: VolunteerDesk,
    session: WriteSession,
    title: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=12)] = "patrol",
    place: Annotated[str, Form(max_length=64)] = "",
    starts: Annotated[str, Form(max_length=16)] = "",
    ends: Annotated[str, Form(max_length=16)] = "",
    capacity: Annotated[int, Form(ge=1, le=500)] = 4,
    points_per_hour: Annotated[int, Form(ge=0, le=100)] = 10,
) -> Response:
    t = Translator(lang_of(request))
    try:
        # The form's datetime-local fields are China wall-clock times.
        start = datetime.fromisoformat(starts).replace(tzinfo=CHINA_TZ)
        end = datetime.fromisoformat(ends).replace(tzinfo=CHINA_TZ)
        volunteer_service.create_activity(
            session,
            who=ctx.who,
            data=ActivityIn(
                compound_id=ctx.compound_id or 0,
                kind=ActivityKind(kind) if kind in ActivityKind.__members__ else ActivityKind.patrol,
                title=title,
                place=place,
                starts_at=start,
                ends_at=end,
                capacity=capacity,
                points_per_hour=points_per_hour,
            ),
        )
    except AppError as exc:
        return refused(request, session, CONSOLE, exc)
    except (ValidationError, ValueError):
        return go_back(request, CONSOLE, err=t("vol.err.form"))
    return go_back(request, CONSOLE, ok=t("vol.ok.activity"))


@router.post(CONSOLE + "/rewards")
def new_reward(
    request: Request,
    ctx: VolunteerDesk,
    session: WriteSession,
    name: Annotated[str, Form(max_length=64)] = "",
    cost_points: Annotated[int, Form(ge=1, le=100_000)] = 10,
    stock: Annotated[int, Form(ge=0, le=100_000)] = 10,
) -> Response:
    t = Translator(lang_of(request))
    try:
        volunteer_service.add_reward(
            session,
            who=ctx.who,
            data=RewardIn(compound_id=ctx.compound_id or 0, name=name, cost_points=cost_points, stock=stock),
        )
    except AppError as exc:
        return refused(request, session, CONSOLE, exc)
    except ValidationError:
        return go_back(request, CONSOLE, err=t("vol.err.form"))
    return go_back(request, CONSOLE, ok=t("vol.ok.reward"))
