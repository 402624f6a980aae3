"""Decoration pages (装修申请, issue 18): the resident files and follows applications on H5; the property company
approves, refuses and inspects from the console. Every rule lives in decoration.service."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.money import parse_yuan, yuan
from anju.decoration.enums import InspectionKind
from anju.decoration.models import DecorationApplication
from anju.decoration.permissions import DecorationPerm
from anju.decoration.schemas import (
    DecorationApprove,
    DecorationCreate,
    DecorationReject,
    DeductionIn,
    InspectionCreate,
    WorkerIn,
)
from anju.decoration.service import decoration_service
from anju.registry.models import House
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import go_back, outcome, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
DecorationDesk = Annotated[ConsolePage, Depends(console_guard(DecorationPerm.read))]
H5 = "/h5/decoration"
CONSOLE = "/console/decoration"


def _rows(session: ReadSession, apps: list[DecorationApplication]) -> list[dict[str, Any]]:
    labels = dict(
        session.execute(select(House.id, House.label).where(House.id.in_([a.house_id for a in apps] or [0]))).all()
    )
    return [
        {
            "app": a,
            "house": labels.get(a.house_id, ""),
            "workers": decoration_service.workers(session, application_id=a.id),
            "inspections": decoration_service.inspections(session, application_id=a.id),
        }
        for a in apps
    ]


# --- resident H5 -------------------------------------------------------------------------------------------------
@router.get(H5)
def my_decorations(request: Request, who: ResidentPage, session: ReadSession) -> Response:
    """My houses' decoration applications and the form to file one."""
    houses = (
        list(session.execute(select(House).where(House.id.in_(who.house_ids)).order_by(House.label)).scalars())
        if who.house_ids
        else []
    )
    return render(
        request,
        "decoration/h5.html",
        {
            "who": who,
            "houses": houses,
            "rows": _rows(session, decoration_service.search(session, who=who)),
            "yuan": yuan,
            **outcome(request),
        },
    )


def _deposit_fen(raw: str) -> int:
    """The deposit in fen; empty or zero means none."""
    raw = raw.strip()
    if raw in ("", "0", "0.0", "0.00"):
        return 0
    return parse_yuan(raw, field="deposit_yuan")


def _workers(raw: str) -> list[WorkerIn]:
    out = []
    for line in raw.splitlines():
        parts = line.replace("，", " ").replace(",", " ").split()
        if not parts:
            continue
        phone = next((p for p in parts if p.isdigit()), None)
        name = " ".join(p for p in parts if p != phone)[:32]
        out.append(WorkerIn(name=name or "-", phone=phone))
    return out


@router.post(H5)
def my_new_decoration(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    house_id: Annotated[int, Form()] = 0,
    start_date: Annotated[str, Form()] = "",
    end_date: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "",
    touches_load_bearing: Annotated[str, Form()] = "",
    owner_consent: Annotated[str, Form()] = "",
    contractor: Annotated[str, Form()] = "",
    contractor_phone: Annotated[str, Form()] = "",
    workers: Annotated[str, Form()] = "",
    daily_from: Annotated[str, Form()] = "08:00",
    daily_until: Annotated[str, Form()] = "18:00",
    deposit_yuan: Annotated[str, Form()] = "0",
) -> Response:
    """File an application (before work starts); errors come back as one line on the page."""
    t = Translator(lang_of(request))
    try:
        data = DecorationCreate(
            house_id=house_id,
            start_date=date.fromisoformat(start_date),
            end_date=date.fromisoformat(end_date),
            scope=scope,
            touches_load_bearing=bool(touches_load_bearing),
            owner_consent=bool(owner_consent),
            contractor=contractor,
            contractor_phone=contractor_phone.strip() or None,
            workers=_workers(workers),
            daily_from=time.fromisoformat(daily_from),
            daily_until=time.fromisoformat(daily_until),
            deposit_fen=_deposit_fen(deposit_yuan),
        )
    except (ValidationError, ValueError, AppError):
        return go_back(request, H5, err=t("deco.err.form"))
    try:
        decoration_service.apply(session, who=who, data=data, now=utcnow())
    except AppError as exc:
        return refused(request, session, H5, exc)
    return go_back(request, H5, ok=t("deco.submitted_ok"))


@router.post(H5 + "/{application_id}/cancel")
def my_cancel_decoration(request: Request, application_id: int, who: ResidentPage, session: WriteSession) -> Response:
    """Withdraw an application; workers' passes stop at once."""
    t = Translator(lang_of(request))
    try:
        decoration_service.cancel(session, who=who, application_id=application_id)
    except AppError as exc:
        return refused(request, session, H5, exc)
    return go_back(request, H5, ok=t("deco.cancelled_ok"))


# --- console -----------------------------------------------------------------------------------------------------
@router.get(CONSOLE)
def decoration_desk(request: Request, ctx: DecorationDesk, session: ReadSession) -> Response:
    """The compound's applications: approve with conditions, refuse, inspect."""
    apps = [a for a in decoration_service.search(session, who=ctx.who) if a.compound_id == ctx.compound_id]
    return render(
        request,
        "decoration/console.html",
        ctx.context(
            "nav.decoration",
            rows=_rows(session, apps),
            can_manage=ctx.who.can(DecorationPerm.manage),
            kinds=list(InspectionKind),
            yuan=yuan,
            **outcome(request),
        ),
    )


@router.post(CONSOLE + "/{application_id}/approve")
def decoration_approve(
    request: Request,
    application_id: int,
    ctx: DecorationDesk,
    session: WriteSession,
    conditions: Annotated[str, Form()] = "",
) -> Response:
    t = Translator(lang_of(request))
    try:
        data = DecorationApprove(conditions=[c.strip() for c in conditions.splitlines() if c.strip()][:20])
        decoration_service.approve(session, who=ctx.who, application_id=application_id, data=data, now=utcnow())
    except AppError as exc:
        return refused(request, session, CONSOLE, exc)
    except ValidationError:
        return go_back(request, CONSOLE, err=t("deco.err.form"))
    return go_back(request, CONSOLE, ok=t("deco.ok.approved"))


@router.post(CONSOLE + "/{application_id}/reject")
def decoration_reject(
    request: Request,
    application_id: int,
    ctx: DecorationDesk,
    session: WriteSession,
    reason: Annotated[str, Form()] = "",
) -> Response:
    t = Translator(lang_of(request))
    try:
        data = DecorationReject(reason=reason)
        decoration_service.reject(session, who=ctx.who, application_id=application_id, data=data, now=utcnow())
    except AppError as exc:
        return refused(request, session, CONSOLE, exc)
    except ValidationError:
        return go_back(request, CONSOLE, err=t("deco.err.form"))
    return go_back(request, CONSOLE, ok=t("deco.ok.rejected"))


@router.post(CONSOLE + "/{application_id}/inspect")
def decoration_inspect(
    request: Request,
    application_id: int,
    ctx: DecorationDesk,
    session: WriteSession,
    kind: Annotated[str, Form()] = "during",
    passed: Annotated[str, Form()] = "1",
    note: Annotated[str, Form()] = "",
    deduction_yuan: Annotated[str, Form(max_length=16)] = "0",
    deduction_reason: Annotated[str, Form(max_length=255)] = "",
) -> Response:
    t = Translator(lang_of(request))
    try:
        kept = _deposit_fen(deduction_yuan)
        data = InspectionCreate(
            kind=InspectionKind(kind) if kind in InspectionKind.__members__ else InspectionKind.during,
            passed=passed == "1",
            note=note,
            deductions=[DeductionIn(amount_fen=kept, reason=deduction_reason)] if kept else [],
        )
        insp = decoration_service.inspect(session, who=ctx.who, application_id=application_id, data=data, now=utcnow())
    except AppError as exc:
        return refused(request, session, CONSOLE, exc)
    except ValidationError:
        return go_back(request, CONSOLE, err=t("deco.err.form"))
    if insp.work_order_id:
        return go_back(request, CONSOLE, ok=t("deco.ok.order", id=insp.work_order_id))
    return go_back(request, CONSOLE, ok=t("deco.ok.inspected"))
