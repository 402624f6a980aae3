"""Work-order pages: the board, SLA settings, one order, the technician's 我的任务 and the resident's
报事报修 (H5).

Actions are plain form posts to these routes (no script needed on a phone); a refused action comes back
to the same page with the reason in the user's language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import ValidationError
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.accounts.service import display_names
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, NotFound
from anju.web.auth_pages import local_path
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import error_message, go_back, parse_enum
from anju.web.i18n import Translator, lang_of
from anju.web.render import render
from anju.workorders import dispatch, photos
from anju.workorders.config import wo_settings
from anju.workorders.enums import (
    OrderAction,
    OrderKind,
    OrderStatus,
    Priority,
    SlaState,
)
from anju.workorders.models import WorkOrder
from anju.workorders.permissions import WorkOrdersPerm
from anju.workorders.repository import WorkOrderRepository
from anju.workorders.schemas import OrderActionBody, OrderCreate
from anju.workorders.service import work_order_service
from anju.workorders.timers import live_state

router = APIRouter(include_in_schema=False)
BoardPage = Annotated[ConsolePage, Depends(console_guard(WorkOrdersPerm.read))]
TaskPage = Annotated[ConsolePage, Depends(console_guard(WorkOrdersPerm.work))]
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
CATEGORIES = ("plumbing", "electrical", "lift", "fire_safety", "cleaning", "security", "greening", "general")
RESIDENT_KINDS = (
    OrderKind.household_repair,
    OrderKind.common_repair,
    OrderKind.hazard,
    OrderKind.complaint,
    OrderKind.suggestion,
)
KANBAN = (
    OrderStatus.new,
    OrderStatus.dispatched,
    OrderStatus.accepted,
    OrderStatus.arrived,
    OrderStatus.waiting_owner,
    OrderStatus.completed,
    OrderStatus.followed_up,
)


def _house_labels(session: ReadSession, house_ids: set[int]) -> dict[int, str]:
    from anju.registry.service import house_service

    return house_service.labels(session, house_ids=house_ids)


def _rows(session: ReadSession, orders: list[WorkOrder]) -> list[dict[str, Any]]:
    now = utcnow()
    names = display_names(session, {o.assignee_user_id for o in orders if o.assignee_user_id})
    houses = _house_labels(session, {o.house_id for o in orders if o.house_id})
    return [
        {
            "o": o,
            "sla": live_state(o, now),
            "assignee": names.get(o.assignee_user_id or 0),
            "house": houses.get(o.house_id or 0),
        }
        for o in orders
    ]


def system_note(note: str | None, lang: str) -> str | None:
    """System timeline notes are written "中文 / English"; show the half in the page's language."""
    if not note or " / " not in note:
        return note
    zh, _, en = note.partition(" / ")
    return en if lang == "en" else zh


def _order_view(session: ReadSession, who: Principal, order_id: int) -> dict[str, Any]:
    repo = WorkOrderRepository(session)
    order = repo.get_readable(who, order_id)
    if order is None:
        raise NotFound(f"work order {order_id}", zh="工单不存在")
    timeline = repo.timeline(order.id)
    names = display_names(
        session, {e.actor_user_id for e in timeline if e.actor_user_id} | {order.assignee_user_id or 0}
    )
    return {
        "order": order,
        "row": _rows(session, [order])[0],
        "timeline": timeline,
        "names": names,
        "photos": repo.photos(order.id),
        "system_note": system_note,
    }


# ---- console: board ----------------------------------------------------------------------------


@router.get("/console/workorders")
def board(
    request: Request,
    ctx: BoardPage,
    session: ReadSession,
    status: str | None = None,
    sla: str | None = None,
    kind: str | None = None,
    view: str = "list",
    page: int = 1,
) -> Response:
    """The work-order board: list or kanban, filtered by status, SLA state and kind."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.workorders"))
    state, sla_state, kind_v = parse_enum(OrderStatus, status), parse_enum(SlaState, sla), parse_enum(OrderKind, kind)
    page = max(1, min(page, 10_000))
    kanban = view == "kanban"
    repo = WorkOrderRepository(session)
    orders, total = repo.search(
        ctx.who,
        compound_id=ctx.compound.id,
        status=[state] if state else None,
        sla_state=sla_state,
        kind=kind_v,
        category=None,
        assignee_user_id=None,
        open_only=kanban and state is None,
        offset=0 if kanban else (page - 1) * 50,
        limit=300 if kanban else 50,
    )
    rows = _rows(session, orders)
    techs = dispatch.technicians(session, compound_id=ctx.compound.id)
    values = {
        "rows": rows,
        "total": total,
        "page_no": page,
        "pages": max(1, (total + 49) // 50),
        "filters": {"status": state, "sla": sla_state, "kind": kind_v, "view": "kanban" if kanban else "list"},
        "statuses": list(OrderStatus),
        "sla_states": list(SlaState),
        "kinds": list(OrderKind),
        "priorities": list(Priority),
        "categories": CATEGORIES,
        "kanban": KANBAN,
        "counts": repo.status_counts(ctx.compound.id),
        "technicians": display_names(session, set(techs)),
        "can_dispatch": ctx.who.can(WorkOrdersPerm.dispatch),
        "err": request.query_params.get("err"),
        "ok": request.query_params.get("ok"),
    }
    return render(request, "workorders/board.html", ctx.context("nav.workorders", **values))


@router.get("/console/workorders/settings/sla")
def sla_page(request: Request, ctx: BoardPage, session: ReadSession) -> Response:
    """时限设置 (R-W1, R-W3): the grade presets and the compound's own deadlines per category and priority."""
    from anju.workorders.sla import GRADE_PRESETS, policies

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.workorders"))
    grade = ctx.compound.service_grade
    rows = policies(session, compound_id=ctx.compound.id)
    return render(
        request,
        "workorders/sla.html",
        ctx.context(
            "nav.workorders",
            grade=grade,
            presets=GRADE_PRESETS.get(grade, GRADE_PRESETS[1]),
            rows=rows,
            complaint_days=wo_settings().complaint_answer_days,
            categories=(*CATEGORIES, "complaint"),
            priorities=list(Priority),
            can_edit=ctx.who.can(WorkOrdersPerm.dispatch),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/workorders/settings/sla")
def sla_save(
    request: Request,
    ctx: BoardPage,
    session: WriteSession,
    category: Annotated[str, Form()] = "*",
    priority: Annotated[str, Form()] = "*",
    response_minutes: Annotated[str, Form()] = "",
    resolution_minutes: Annotated[str, Form()] = "",
    calendar: Annotated[str, Form()] = "24x7",
) -> Response:
    """Save one deadline row through the same validation as PUT /api/v1/work-orders/sla."""
    from anju.workorders.schemas import SlaPolicyBody
    from anju.workorders.sla import set_policy

    t = Translator(lang_of(request))
    back = "/console/workorders/settings/sla"
    ctx.who.require(WorkOrdersPerm.dispatch)
    if ctx.compound is None:
        return go_back(request, back, err=t("wo.err.invalid"))
    try:
        body = SlaPolicyBody(
            compound_id=ctx.compound.id,
            category=category,
            priority=priority,
            calendar=calendar,
            response_minutes=int(response_minutes) if response_minutes.strip() else None,
            resolution_minutes=int(resolution_minutes) if resolution_minutes.strip() else None,
        )
    except (ValidationError, ValueError):
        return go_back(request, back, err=t("wo.sla.bad"))
    set_policy(
        session,
        compound_id=body.compound_id,
        category=body.category,
        priority=body.priority,
        response_minutes=body.response_minutes,
        resolution_minutes=body.resolution_minutes,
        calendar=body.calendar,
    )
    return go_back(request, back, ok=t("wo.ok.done"))


@router.get("/console/workorders/{order_id}")
def order_page(order_id: int, request: Request, ctx: BoardPage, session: ReadSession) -> Response:
    """One order: facts, deadlines, photos, the full timeline and the actions this user may take."""
    view = _order_view(session, ctx.who, order_id)
    techs = dispatch.technicians(session, compound_id=view["order"].compound_id)
    return render(
        request,
        "workorders/order.html",
        ctx.context(
            "nav.workorders",
            **view,
            technicians=display_names(session, set(techs)),
            can_dispatch=ctx.who.can(WorkOrdersPerm.dispatch),
            can_work=ctx.who.can(WorkOrdersPerm.work),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/workorders/new")
def staff_open(
    request: Request,
    ctx: BoardPage,
    session: WriteSession,
    kind: Annotated[str, Form()],
    title: Annotated[str, Form()],
    category: Annotated[str, Form()] = "general",
    priority: Annotated[str, Form()] = "normal",
    description: Annotated[str, Form()] = "",
    house_label: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
) -> Response:
    """Staff take a call (代客报修) or a grid worker reports: the order opens in the current compound."""
    from anju.registry.service import house_service

    if ctx.compound is None:
        raise NotFound("compound")
    try:
        house_id = None
        if house_label.strip():
            house = house_service.find_by_label(session, compound_id=ctx.compound.id, label=house_label.strip())
            house_id = house.id if house is not None else None
            if house_id is None:
                return go_back(request, "/console/workorders", err=Translator(lang_of(request))("wo.err.house"))
        order = work_order_service.open(
            session,
            by=ctx.who,
            data=OrderCreate(
                compound_id=ctx.compound.id,
                kind=kind,
                category=category,
                priority=priority,
                title=title,
                description=description,
                house_id=house_id,
                location=location or None,
            ),
        )
    except (AppError, ValidationError) as exc:
        session.rollback()
        return go_back(request, "/console/workorders", err=error_message(request, exc))
    return go_back(request, f"/console/workorders/{order.id}", ok=Translator(lang_of(request))("wo.ok.created"))


def _act(
    request: Request,
    session: WriteSession,
    who: Principal,
    order_id: int,
    back: str,
    *,
    action: str,
    note: str,
    assignee: str,
    rating: str,
    amount: str,
) -> Response:
    t = Translator(lang_of(request))
    try:
        if action == "grabbed":
            work_order_service.grab(session, by=who, order_id=order_id)
        else:
            body = OrderActionBody(
                action=action,
                note=note.strip() or None,
                assignee_user_id=int(assignee) if assignee.strip().isdigit() else None,
                rating=int(rating) if rating.strip().isdigit() else None,
                amount=amount.strip() or None,
            )
            work_order_service.act(session, by=who, order_id=order_id, body=body)
    except (AppError, ValidationError) as exc:
        session.rollback()
        return go_back(request, back, err=error_message(request, exc))
    return go_back(request, back, ok=t("wo.ok.done"))


@router.post("/console/workorders/{order_id}/act")
def console_act(
    order_id: int,
    request: Request,
    ctx: BoardPage,
    session: WriteSession,
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    assignee_user_id: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Any action from the board, the order page or my tasks; back to where it was taken."""
    back = local_path(next) if next else None
    return _act(
        request,
        session,
        ctx.who,
        order_id,
        back or f"/console/workorders/{order_id}",
        action=action,
        note=note,
        assignee=assignee_user_id,
        rating=rating,
        amount=amount,
    )


@router.get("/console/workorders/{order_id}/photos/{photo_id}")
def console_photo(order_id: int, photo_id: int, ctx: BoardPage, session: ReadSession) -> Response:
    return _photo(session, ctx.who, order_id, photo_id)


def _photo(session: ReadSession, who: Principal, order_id: int, photo_id: int) -> Response:
    from anju.workorders.models import WorkOrderPhoto

    if WorkOrderRepository(session).get_readable(who, order_id) is None:
        raise NotFound(f"work order {order_id}")
    photo = session.get(WorkOrderPhoto, photo_id)
    if photo is None or photo.order_id != order_id:
        raise NotFound(f"photo {photo_id}")
    return Response(
        photo.data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


# ---- console: my tasks (mobile-friendly) -------------------------------------------------------


@router.get("/console/my-tasks")
def my_tasks(request: Request, ctx: TaskPage, session: ReadSession) -> Response:
    """我的任务: orders in my hands, then unassigned orders anyone may grab."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.my_tasks"))
    repo = WorkOrderRepository(session)
    mine, _ = repo.search(
        ctx.who,
        compound_id=ctx.compound.id,
        status=None,
        sla_state=None,
        kind=None,
        category=None,
        assignee_user_id=ctx.who.user_id,
        open_only=True,
        offset=0,
        limit=100,
        count=False,
    )
    pool, _ = repo.search(
        ctx.who,
        compound_id=ctx.compound.id,
        status=[OrderStatus.new],
        sla_state=None,
        kind=None,
        category=None,
        assignee_user_id=None,
        open_only=False,
        offset=0,
        limit=50,
        count=False,
    )
    pool = [o for o in pool if o.assignee_user_id is None]
    return render(
        request,
        "workorders/my_tasks.html",
        ctx.context(
            "nav.my_tasks",
            mine=_rows(session, mine),
            pool=_rows(session, pool),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


# ---- resident H5: 报事报修 ------------------------------------------------------------------------


@router.get("/h5/repairs")
def h5_repairs(request: Request, who: ResidentPage, session: ReadSession) -> Response:
    """我的报修: the report form and my requests with their state."""
    repo = WorkOrderRepository(session)
    orders, _ = repo.search(
        who,
        compound_id=None,
        status=None,
        sla_state=None,
        kind=None,
        category=None,
        assignee_user_id=None,
        open_only=False,
        offset=0,
        limit=50,
        count=False,
    )
    houses = _house_labels(session, set(who.house_ids))
    return render(
        request,
        "workorders/h5_repairs.html",
        {
            "who": who,
            "rows": _rows(session, orders),
            "houses": sorted(houses.items(), key=lambda kv: kv[1]),
            "kinds": RESIDENT_KINDS,
            "categories": CATEGORIES,
            "err": request.query_params.get("err"),
            "ok": request.query_params.get("ok"),
            "max_mb": wo_settings().photo_max_bytes // (1024 * 1024),
        },
    )


@router.post("/h5/repairs")
def h5_report(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    kind: Annotated[str, Form()],
    title: Annotated[str, Form()],
    category: Annotated[str, Form()] = "general",
    description: Annotated[str, Form()] = "",
    house_id: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Report: the order and its photo are stored together, or neither is (one transaction)."""
    try:
        order = work_order_service.open(
            session,
            by=who,
            data=OrderCreate(
                kind=kind,
                category=category,
                title=title,
                description=description,
                location=location or None,
                house_id=int(house_id) if house_id.isdigit() else None,
            ),
        )
        if photo is not None and photo.filename:
            data = photos.read_capped(photo.file, wo_settings().photo_max_bytes)
            photos.attach(session, by=who, order=order, data=data)
    except (AppError, ValidationError) as exc:
        session.rollback()
        status = exc.status_code if isinstance(exc, AppError) else 422
        return _h5_error(request, who, session, error_message(request, exc), status)
    return go_back(request, f"/h5/repairs/{order.id}", ok=Translator(lang_of(request))("wo.ok.reported"))


def _h5_error(request: Request, who: Principal, session: ReadSession, message: str, status: int) -> Response:
    """The form again with the reason and the 4xx status (a refused upload is not a success)."""
    response = h5_repairs(request, who, session)
    response.status_code = status
    body = bytes(response.body).replace(
        b"<!--wo-error-->", (f'<div class="alert alert-error" data-testid="wo-error">{_escape(message)}</div>').encode()
    )
    return Response(
        body,
        status_code=status,
        media_type="text/html",
        headers={k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")},
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@router.get("/h5/repairs/{order_id}")
def h5_repair(order_id: int, request: Request, who: ResidentPage, session: ReadSession) -> Response:
    """One of my requests: progress timeline (who, when, what), photos, rating and quote answer."""
    view = _order_view(session, who, order_id)
    return render(
        request,
        "workorders/h5_order.html",
        {
            "who": who,
            **view,
            "err": request.query_params.get("err"),
            "ok": request.query_params.get("ok"),
            "mine": view["order"].reporter_user_id == who.user_id,
        },
    )


@router.post("/h5/repairs/{order_id}/act")
def h5_act(
    order_id: int,
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    rating: Annotated[str, Form()] = "",
) -> Response:
    """Rate, reopen, or answer a quote (the service checks that I am the reporter)."""
    if action not in (OrderAction.rated, OrderAction.reopened, OrderAction.quote_accepted, OrderAction.quote_declined):
        return go_back(request, f"/h5/repairs/{order_id}", err=Translator(lang_of(request))("wo.err.invalid"))
    return _act(
        request,
        session,
        who,
        order_id,
        f"/h5/repairs/{order_id}",
        action=action,
        note=note,
        assignee="",
        rating=rating,
        amount="",
    )


@router.get("/h5/repairs/{order_id}/photos/{photo_id}")
def h5_photo(order_id: int, photo_id: int, who: ResidentPage, session: ReadSession) -> Response:
    return _photo(session, who, order_id, photo_id)
