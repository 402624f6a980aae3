"""Work-order pages: the board, the technician's 我的任务, the resident's 报事报修 (H5), patrol status,
the facilities due list, and the guard's checkpoint scan page.

Actions are plain form posts to these routes (no script needed on a phone); a refused action comes back
to the same page with the reason in the user's language.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.responses import Response

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, NotFound
from anju.core.rbac import Perm
from anju.web.auth_pages import local_path
from anju.web.deps import ConsolePage, console_guard, page_guard
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
from anju.workorders.repository import WorkOrderRepository
from anju.workorders.schemas import OrderActionBody, OrderCreate
from anju.workorders.service import work_order_service
from anju.workorders.timers import live_state

router = APIRouter(include_in_schema=False)
BoardPage = Annotated[ConsolePage, Depends(console_guard(Perm.workorders_read))]
TaskPage = Annotated[ConsolePage, Depends(console_guard(Perm.workorders_work))]
PatrolPage = Annotated[ConsolePage, Depends(console_guard(Perm.patrol_read))]
FacilityPage = Annotated[ConsolePage, Depends(console_guard(Perm.facilities_read))]
ResidentPage = Annotated[Principal, Depends(page_guard(Perm.self_service))]
ScanPage = Annotated[Principal, Depends(page_guard(Perm.patrol_checkin))]
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


def _message(request: Request, exc: Exception) -> str:
    t = Translator(lang_of(request))
    if isinstance(exc, AppError):
        return t.pick(exc.body()["error"]["message"])
    return t("wo.err.invalid")


def _back(request: Request, target: str, *, err: str | None = None, ok: str | None = None) -> Response:
    """Redirect (303) to a local page, carrying a one-line outcome."""
    path = local_path(target) or "/console/workorders"
    params = {k: v for k, v in (("err", err), ("ok", ok)) if v}
    sep = "&" if "?" in path else "?"
    return RedirectResponse(path + (sep + urlencode(params) if params else ""), status_code=303)


def _names(session: ReadSession, user_ids: set[int]) -> dict[int, str]:
    from anju.accounts.models import User

    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _house_labels(session: ReadSession, house_ids: set[int]) -> dict[int, str]:
    from anju.registry.models import House

    ids = [h for h in house_ids if h]
    if not ids:
        return {}
    return dict(session.execute(select(House.id, House.label).where(House.id.in_(ids))).all())


def _rows(session: ReadSession, orders: list[WorkOrder]) -> list[dict[str, Any]]:
    now = utcnow()
    names = _names(session, {o.assignee_user_id for o in orders if o.assignee_user_id})
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


def _enum(kind: Any, value: str | None) -> Any:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


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
    names = _names(session, {e.actor_user_id for e in timeline if e.actor_user_id} | {order.assignee_user_id or 0})
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
    state, sla_state, kind_v = _enum(OrderStatus, status), _enum(SlaState, sla), _enum(OrderKind, kind)
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
        "technicians": _names(session, set(techs)),
        "can_dispatch": ctx.who.can(Perm.workorders_dispatch),
        "err": request.query_params.get("err"),
        "ok": request.query_params.get("ok"),
    }
    return render(request, "workorders/board.html", ctx.context("nav.workorders", **values))


@router.get("/console/workorders/settings/sla")
def sla_page(request: Request, ctx: BoardPage, session: ReadSession) -> Response:
    """时限设置 (R-W1, R-W3): the grade presets and the compound's own deadlines per category and priority."""
    from anju.registry.models import Compound
    from anju.workorders.models import SlaPolicy
    from anju.workorders.sla import GRADE_PRESETS

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.workorders"))
    grade = session.get(Compound, ctx.compound.id).service_grade  # type: ignore[union-attr]
    rows = (
        session.execute(
            select(SlaPolicy)
            .where(SlaPolicy.compound_id == ctx.compound.id)
            .order_by(SlaPolicy.category, SlaPolicy.priority)
        )
        .scalars()
        .all()
    )
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
            can_edit=ctx.who.can(Perm.workorders_dispatch),
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
    ctx.who.require(Perm.workorders_dispatch)
    if ctx.compound is None:
        return _back(request, back, err=t("wo.err.invalid"))
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
        return _back(request, back, err=t("wo.sla.bad"))
    set_policy(
        session,
        compound_id=body.compound_id,
        category=body.category,
        priority=body.priority,
        response_minutes=body.response_minutes,
        resolution_minutes=body.resolution_minutes,
        calendar=body.calendar,
    )
    return _back(request, back, ok=t("wo.ok.done"))


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
            technicians=_names(session, set(techs)),
            can_dispatch=ctx.who.can(Perm.workorders_dispatch),
            can_work=ctx.who.can(Perm.workorders_work),
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
    from anju.registry.models import House

    if ctx.compound is None:
        raise NotFound("compound")
    try:
        house_id = None
        if house_label.strip():
            house_id = session.execute(
                select(House.id).where(House.compound_id == ctx.compound.id, House.label == house_label.strip())
            ).scalar_one_or_none()
            if house_id is None:
                return _back(request, "/console/workorders", err=Translator(lang_of(request))("wo.err.house"))
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
        return _back(request, "/console/workorders", err=_message(request, exc))
    return _back(request, f"/console/workorders/{order.id}", ok=Translator(lang_of(request))("wo.ok.created"))


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
        return _back(request, back, err=_message(request, exc))
    return _back(request, back, ok=t("wo.ok.done"))


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
        return _h5_error(request, who, session, _message(request, exc), status)
    return _back(request, f"/h5/repairs/{order.id}", ok=Translator(lang_of(request))("wo.ok.reported"))


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
        return _back(request, f"/h5/repairs/{order_id}", err=Translator(lang_of(request))("wo.err.invalid"))
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


# ---- patrol and facilities ----------------------------------------------------------------------


@router.get("/console/patrol")
def patrol_status(request: Request, ctx: PatrolPage, session: ReadSession) -> Response:
    """巡更状态: each checkpoint's last check-in (late key points red), recent rounds, handovers."""
    from anju.patrol.models import PatrolRound, ShiftHandover
    from anju.patrol.service import patrol_completion, status_board

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.patrol"))
    cid = ctx.compound.id
    rounds = (
        session.execute(
            select(PatrolRound)
            .where(PatrolRound.compound_id == cid)
            .order_by(PatrolRound.day.desc(), PatrolRound.id.desc())
            .limit(20)
        )
        .scalars()
        .all()
    )
    handovers = (
        session.execute(
            select(ShiftHandover).where(ShiftHandover.compound_id == cid).order_by(ShiftHandover.at.desc()).limit(10)
        )
        .scalars()
        .all()
    )
    names = _names(session, {h.from_user_id for h in handovers} | {h.to_user_id or 0 for h in handovers})
    return render(
        request,
        "workorders/patrol.html",
        ctx.context(
            "nav.patrol",
            points=status_board(session, compound_id=cid),
            rounds=rounds,
            handovers=handovers,
            names=names,
            completion=patrol_completion(session, compound_id=cid, since=None),
            can_scan=ctx.who.can(Perm.patrol_checkin),
            can_manage=ctx.who.can(Perm.patrol_manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/patrol/handover")
def patrol_handover(
    request: Request, ctx: PatrolPage, session: WriteSession, note: Annotated[str, Form()] = ""
) -> Response:
    """交接班: the outgoing guard writes what the next shift takes over."""
    from anju.patrol.service import handover

    t = Translator(lang_of(request))
    ctx.who.require(Perm.patrol_checkin)
    if ctx.compound is None or len(note.strip()) < 2 or len(note) > 1000:
        return _back(request, "/console/patrol", err=t("wo.patrol.handover_note"))
    handover(session, by=ctx.who, compound_id=ctx.compound.id, to_user_id=None, note=note.strip())
    return _back(request, "/console/patrol", ok=t("wo.ok.done"))


@router.post("/console/patrol/routes")
def patrol_route_create(
    request: Request,
    ctx: PatrolPage,
    session: WriteSession,
    name: Annotated[str, Form()] = "",
    points: Annotated[str, Form()] = "",
    max_interval: Annotated[str, Form()] = "120",
    window_start: Annotated[str, Form()] = "",
    window_minutes: Annotated[str, Form()] = "60",
) -> Response:
    """A new route: one checkpoint per line, "*" in front marks a key point (R-W5 maximum gap applies)."""
    from anju.patrol.endpoints import RouteBody
    from anju.patrol.service import create_route

    t = Translator(lang_of(request))
    ctx.who.require(Perm.patrol_manage)
    back = "/console/patrol"
    if ctx.compound is None:
        return _back(request, back, err=t("wo.err.invalid"))
    try:
        gap = int(max_interval) if max_interval.strip() else None
        checkpoints = []
        for line in points.splitlines():
            label = line.strip()
            if not label:
                continue
            key = label.startswith(("*", "＊"))
            checkpoints.append(
                {"name": label.lstrip("*＊ ").strip(), "key_point": key, "max_interval_minutes": gap if key else None}
            )
        windows = []
        if window_start.strip():
            hh, mm = window_start.strip().split(":")
            windows.append((int(hh) * 60 + int(mm), int(window_minutes or "60")))
        body = RouteBody(compound_id=ctx.compound.id, name=name.strip(), checkpoints=checkpoints, windows=windows)
    except (ValidationError, ValueError):
        return _back(request, back, err=t("wo.patrol.bad_route"))
    try:
        create_route(
            session,
            by=ctx.who,
            compound_id=body.compound_id,
            name=body.name,
            checkpoints=[c.model_dump() for c in body.checkpoints],
            windows=body.windows,
        )
    except AppError as exc:
        session.rollback()
        return _back(request, back, err=_message(request, exc))
    return _back(request, back, ok=t("wo.ok.done"))


@router.post("/console/facilities/equipment")
def facilities_add_equipment(
    request: Request,
    ctx: FacilityPage,
    session: WriteSession,
    kind: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    extinguisher_type: Annotated[str, Form()] = "",
    manufactured_on: Annotated[str, Form()] = "",
    crowded: Annotated[str, Form()] = "",
    certificate_expires_on: Annotated[str, Form()] = "",
) -> Response:
    """Register equipment from the due-list page; its statutory plans follow (R-W2, R-S4–R-S6)."""
    from anju.facilities.endpoints import EquipmentBody
    from anju.facilities.service import register

    t = Translator(lang_of(request))
    ctx.who.require(Perm.facilities_manage)
    back = "/console/facilities"
    if ctx.compound is None:
        return _back(request, back, err=t("wo.err.invalid"))
    try:
        body = EquipmentBody(
            compound_id=ctx.compound.id,
            kind=kind,
            name=name.strip(),
            location=location.strip() or None,
            extinguisher_type=extinguisher_type or None,
            manufactured_on=manufactured_on or None,
            crowded_location=bool(crowded),
            certificate_expires_on=certificate_expires_on or None,
        )
    except ValidationError:
        return _back(request, back, err=t("wo.fac.bad_equipment"))
    try:
        register(
            session,
            by=ctx.who,
            compound_id=body.compound_id,
            kind=body.kind,
            name=body.name,
            location=body.location,
            extinguisher_type=body.extinguisher_type,
            manufactured_on=body.manufactured_on,
            crowded=body.crowded_location,
            certificate_expires_on=body.certificate_expires_on,
        )
    except AppError as exc:
        session.rollback()
        return _back(request, back, err=_message(request, exc))
    return _back(request, back, ok=t("wo.ok.done"))


@router.get("/console/patrol/checkpoints/{checkpoint_id}/qr.svg")
def checkpoint_qr(checkpoint_id: int, request: Request, ctx: PatrolPage, session: ReadSession) -> Response:
    """The QR to print and stick at a checkpoint: it opens the scan page with the point's code."""
    import segno

    from anju.patrol.models import PatrolCheckpoint

    point = session.get(PatrolCheckpoint, checkpoint_id)
    if point is None or not ctx.who.in_scope(point.compound_id):
        raise NotFound(f"checkpoint {checkpoint_id}")
    url = str(request.base_url).rstrip("/") + f"/h5/patrol/scan?code={quote(point.code)}"
    svg = segno.make(url, error="m").svg_inline(scale=4, title=point.name)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/console/facilities")
def facilities_due(request: Request, ctx: FacilityPage, session: ReadSession, within: int = 60) -> Response:
    """设施设备: plans due soon, overdue ones flagged, with the work order raised for them."""
    from anju.facilities.service import due_list

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.facilities"))
    from anju.facilities.fire_duty import open_gaps

    rows = due_list(session, compound_id=ctx.compound.id, today=date.today(), within_days=max(0, min(within, 3650)))
    return render(
        request,
        "workorders/facilities.html",
        ctx.context(
            "nav.facilities",
            rows=rows,
            within=within,
            unsigned=_unsigned(session, ctx.compound.id),
            gaps=open_gaps(session, compound_id=ctx.compound.id),
            can_sign=ctx.who.role in _supervisors(),
            can_manage=ctx.who.can(Perm.facilities_manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


def _supervisors() -> frozenset[Any]:
    from anju.facilities.service import SUPERVISOR_ROLES

    return SUPERVISOR_ROLES


def _unsigned(session: ReadSession, compound_id: int) -> list[dict[str, Any]]:
    """R-S4: fire checks the inspector signed and the supervisor has not: not complete yet."""
    from anju.facilities.models import Inspection, InspectionSignature, MaintenancePlan
    from anju.facilities.service import PLAN_ZH, SUPERVISED_PLANS

    signed = (
        select(InspectionSignature.id)
        .where(InspectionSignature.inspection_id == Inspection.id, InspectionSignature.role == "supervisor")
        .exists()
    )
    rows = session.execute(
        select(Inspection, MaintenancePlan.kind)
        .join(MaintenancePlan, MaintenancePlan.id == Inspection.plan_id)
        .where(Inspection.compound_id == compound_id, MaintenancePlan.kind.in_(SUPERVISED_PLANS), ~signed)
        .order_by(Inspection.at.desc())
        .limit(50)
    ).all()
    names = _names(session, {r.inspector_user_id for r, _ in rows})
    return [{"row": r, "label": PLAN_ZH.get(k, k), "inspector": names.get(r.inspector_user_id, "")} for r, k in rows]


@router.post("/console/facilities/inspections/{inspection_id}/sign-off")
def facilities_sign_off(
    inspection_id: int, request: Request, ctx: FacilityPage, session: WriteSession, note: Annotated[str, Form()] = ""
) -> Response:
    """The manager countersigns a fire check (R-S4); the inspector cannot."""
    from anju.facilities.service import sign_off

    t = Translator(lang_of(request))
    try:
        sign_off(session, by=ctx.who, inspection_id=inspection_id, note=note.strip()[:200] or None)
    except AppError as exc:
        session.rollback()
        return _back(request, "/console/facilities", err=_message(request, exc))
    return _back(request, "/console/facilities", ok=t("wo.ok.done"))


FIRE_SHIFTS = ((0, 8), (8, 16), (16, 24))  # the page's day template: three 8-hour shifts, China time


@router.get("/console/facilities/fire-duty")
def fire_duty_page(request: Request, ctx: FacilityPage, session: ReadSession) -> Response:
    """消防控制室值班 (R-S7): the next 7 days' shifts, the flagged gaps, and a form to set one day."""
    from datetime import datetime, time, timedelta

    from anju.facilities.fire_duty import (
        HORIZON,
        MIN_ON_DUTY,
        open_gaps,
        shifts_between,
        staffing,
    )
    from anju.workorders.sla import CST

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.facilities"))
    cid = ctx.compound.id
    start = datetime.combine(utcnow().astimezone(CST).date(), time(0), tzinfo=CST)
    shifts = shifts_between(session, compound_id=cid, start=start, end=start + HORIZON)
    preview = staffing([(x.starts_at, x.ends_at, x.staff) for x in shifts], start, start + HORIZON)
    return render(
        request,
        "workorders/fire_duty.html",
        ctx.context(
            "nav.facilities",
            shifts=shifts,
            gaps=open_gaps(session, compound_id=cid),
            preview=preview,
            min_on_duty=MIN_ON_DUTY,
            day=(start + timedelta(days=1)).date().isoformat(),
            templates=FIRE_SHIFTS,
            can_manage=ctx.who.can(Perm.facilities_manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
        ),
    )


@router.post("/console/facilities/fire-duty")
def fire_duty_set_day(
    request: Request,
    ctx: FacilityPage,
    session: WriteSession,
    day: Annotated[str, Form()] = "",
    staff0: Annotated[str, Form()] = "",
    staff1: Annotated[str, Form()] = "",
    staff2: Annotated[str, Form()] = "",
) -> Response:
    """Set one day's three shifts; names separated by commas or 、. A short-handed shift is kept and flagged."""
    import re
    from datetime import datetime, time, timedelta

    from anju.facilities.fire_duty import set_roster
    from anju.workorders.sla import CST

    t = Translator(lang_of(request))
    ctx.who.require(Perm.facilities_manage)
    back = "/console/facilities/fire-duty"
    try:
        first = datetime.combine(date.fromisoformat(day), time(0), tzinfo=CST)
    except ValueError:
        return _back(request, back, err=t("wo.fd.bad_day"))
    if ctx.compound is None:
        return _back(request, back, err=t("wo.err.invalid"))
    shifts = []
    for (a, b), raw in zip(FIRE_SHIFTS, (staff0, staff1, staff2), strict=True):
        names = [n.strip() for n in re.split(r"[,，、\s]+", raw) if n.strip()]
        if names:
            shifts.append((first + timedelta(hours=a), first + timedelta(hours=b), names))
    try:
        gaps = set_roster(
            session, by=ctx.who, compound_id=ctx.compound.id, start=first, end=first + timedelta(days=1), shifts=shifts
        )
    except AppError as exc:
        session.rollback()
        return _back(request, back, err=_message(request, exc))
    if gaps:
        return _back(request, back, ok=t("wo.fd.saved_gaps", n=len(gaps)))
    return _back(request, back, ok=t("wo.ok.done"))


@router.get("/h5/patrol/scan")
def scan_page(request: Request, who: ScanPage, code: str = "") -> Response:
    """What a checkpoint's QR opens on the guard's phone: one button to check in."""
    return render(
        request,
        "workorders/scan.html",
        {"who": who, "code": code[:64], "err": request.query_params.get("err"), "ok": request.query_params.get("ok")},
    )


@router.post("/h5/patrol/scan")
def scan(
    request: Request,
    who: ScanPage,
    session: WriteSession,
    code: Annotated[str, Form()] = "",
    nfc_tag: Annotated[str, Form()] = "",
) -> Response:
    from anju.patrol.service import check_in

    t = Translator(lang_of(request))
    try:
        row = check_in(session, by=who, code=code.strip() or None, nfc_tag=nfc_tag.strip() or None)
    except AppError as exc:
        session.rollback()
        return _back(request, f"/h5/patrol/scan?code={quote(code[:64])}", err=_message(request, exc))
    return _back(request, "/h5/patrol/scan", ok=t("wo.patrol.scanned", at=row.at.strftime("%H:%M")))
