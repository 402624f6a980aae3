"""Staff phone pages (issue 17): the technician's tasks, the grid worker's grid, 随手拍 and reports, the guard's alarms.

Phone-first (390 px wide, bottom tabs, large targets). Every change goes through the work-order
service, so these pages obey the same state machine, scope and permissions as the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from anju.accounts.service import display_names
from anju.alarms.permissions import AlarmsPerm
from anju.care.permissions import CarePerm
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.rbac import Role
from anju.registry.service import house_service
from anju.web.deps import ConsolePage, console_guard
from anju.web.forms import go_back, one_line, query_int, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render
from anju.workorders.enums import OrderAction, OrderStatus
from anju.workorders.models import WorkOrder
from anju.workorders.permissions import WorkOrdersPerm
from anju.workorders.photos import read_capped
from anju.workorders.schemas import OrderActionBody
from anju.workorders.service import work_order_service

router = APIRouter(include_in_schema=False)
FieldPage = Annotated[ConsolePage, Depends(console_guard(WorkOrdersPerm.read))]
WorkPage = Annotated[ConsolePage, Depends(console_guard(WorkOrdersPerm.work))]

# 随手拍 categories: the work-order category each becomes (routing picks the team that takes it).
SNAP_CATEGORIES = ("fire_safety", "cleaning", "facility", "security", "greening", "other")
# What the technician's buttons do next, by the order's status.
NEXT: dict[OrderStatus, OrderAction] = {
    OrderStatus.dispatched: OrderAction.accepted,
    OrderStatus.accepted: OrderAction.arrived,
    OrderStatus.arrived: OrderAction.completed,
}
PHOTO_LIMIT = 8 * 1024 * 1024
SIGNATURE_FIELD_LIMIT = 700_000  # a data: URL of a phone-sized PNG signature (about 500 KB)


def _signature_png(field: str) -> bytes:
    """The PNG of a signature pad's data: URL; anything else is a bad photo (415), so nothing is recorded."""
    import base64
    import binascii

    from anju.workorders import photos
    from anju.workorders.exceptions import BadPhoto

    head, _, body = field.partition(",")
    if head != "data:image/png;base64" or not body:
        raise BadPhoto("the signature is not a PNG image", zh="签名不是有效的图片")
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadPhoto("the signature is not a PNG image", zh="签名不是有效的图片") from exc
    photos.sniff(data)
    return data


def tabs(who: Principal) -> list[tuple[str, str, str]]:
    """(key, href, label key) of the bottom tabs for the role: only what the role needs (minimum necessary)."""
    out: list[tuple[str, str, str]] = []
    if who.role == Role.guard:
        out.append(("alarms", "/field/alarms", "field.tab.alarms"))
        out.append(("patrol", "/h5/patrol/scan", "field.tab.patrol"))
        out.append(("gate", "/console/access", "field.tab.gate"))  # the gate desk (live passages, visitors)
    if who.can(WorkOrdersPerm.work):
        out.append(("tasks", "/field/tasks", "field.tab.tasks"))
    if who.role == Role.grid_worker:
        out.append(("grid", "/field/grid", "field.tab.grid"))
        if who.can(CarePerm.visit):
            out.append(("visits", "/field/visits", "field.tab.visits"))
        out.append(("snap", "/field/snap", "field.tab.snap"))
        out.append(("reports", "/field/reports", "field.tab.reports"))
    if who.role in (Role.property_manager, Role.property_staff) and who.can(AlarmsPerm.read):
        out.append(("alarms", "/field/alarms", "field.tab.alarms"))
    return out


def _page(request: Request, ctx: ConsolePage, name: str, tab: str, **values: Any) -> Response:
    return render(
        request,
        f"field/{name}.html",
        ctx.context(
            "nav.my_tasks",
            tab=tab,
            tabs=tabs(ctx.who),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
            **values,
        ),
    )


@router.get("/field")
def field_home(ctx: FieldPage) -> Response:
    """The phone's start page: the role's first tab."""
    first = tabs(ctx.who)
    return RedirectResponse(first[0][1] if first else "/console", status_code=303)


def _task_rows(session: ReadSession, who: Principal, orders: list[WorkOrder]) -> list[dict[str, Any]]:
    """Each task with its house, building, the household to call (masked) and the next step."""
    houses = house_service.labels(session, house_ids={o.house_id for o in orders if o.house_id})
    buildings: dict[int, str] = {}
    numbers: dict[int, str] = {}
    if orders:
        for b in house_service.buildings(session, compound_id=orders[0].compound_id):
            buildings[b.id], numbers[b.id] = b.name, str(b.number)
    out = []
    for o in orders:
        members = []
        if o.house_id is not None:
            house = house_service.get_readable(session, who=who, house_id=o.house_id)
            members = house_service.household(session, house).members
        out.append(
            {
                "o": o,
                "house": houses.get(o.house_id or 0),
                "building": buildings.get(o.building_id or 0),
                "next": NEXT.get(o.status),
                "members": members,
                "plan_building": numbers.get(o.building_id or 0),
            }
        )
    return out


@router.get("/field/tasks")
def field_tasks(request: Request, ctx: WorkPage, session: ReadSession) -> Response:
    """My tasks: accept, arrive, complete with an after photo; the house and whom to call."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.my_tasks"))
    orders = work_order_service.assigned_to_me(session, by=ctx.who, compound_id=ctx.compound.id)
    plan = ctx.compound.site_plan or None
    return _page(request, ctx, "tasks", "tasks", rows=_task_rows(session, ctx.who, orders), plan=plan)


@router.post("/field/tasks/{order_id}/act")
def field_task_act(
    order_id: int,
    request: Request,
    ctx: WorkPage,
    session: WriteSession,
    action: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=500)] = "",
    parts: Annotated[str, Form(max_length=500)] = "",
    signature: Annotated[str, Form(max_length=SIGNATURE_FIELD_LIMIT)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """One step of my task; completing takes the after photo (checked as an image), the parts used and the
    customer's signature (drawn on the phone, checked as an image too) in the same request."""
    from anju.workorders import photos

    back = "/field/tasks"
    try:
        step = OrderAction(action)
        if step not in NEXT.values():
            raise ValueError(action)
    except ValueError:
        return go_back(request, back, err=Translator(lang_of(request))("wo.err.invalid"))
    try:
        data = read_capped(photo.file, PHOTO_LIMIT) if photo is not None and photo.filename else b""
        if step == OrderAction.completed and not data:
            from anju.workorders.exceptions import BadPhoto

            raise BadPhoto("completing needs the after photo", zh="完工须上传完工照片")
        order = work_order_service.get(session, by=ctx.who, order_id=order_id)
        signed = _signature_png(signature) if step == OrderAction.completed and signature else b""
        if signed:
            photos.attach(session, by=ctx.who, order=order, data=signed, stage="signature")
        if step == OrderAction.completed and parts.strip():
            work_order_service.record_parts(session, by=ctx.who, order_id=order_id, parts_used=parts)
        if data:
            photos.sniff(data)  # a file that is not an image: refused before the step
            photos.attach(
                session,
                by=ctx.who,
                order=order,
                data=data,
                stage="after" if step == OrderAction.completed else "before",
            )
        work_order_service.act(
            session, by=ctx.who, order_id=order_id, body=OrderActionBody(action=step, note=one_line(note))
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=Translator(lang_of(request))("field.ok." + step.value))


@router.post("/field/tasks/{order_id}/call")
def field_task_call(order_id: int, request: Request, ctx: WorkPage, session: WriteSession) -> Response:
    """Call the household of my open order: the server hands the number to the phone's dialer (tel:), so the
    page never shows it; only the order's technician may, and the access is logged with the order as reason."""
    try:
        number = work_order_service.number_to_call(session, by=ctx.who, order_id=order_id)
    except AppError as exc:
        return refused(request, session, "/field/tasks", exc)
    digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
    return RedirectResponse(f"tel:{digits}", status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/field/grid")
def field_grid(request: Request, ctx: WorkPage, session: ReadSession, building: str | None = None) -> Response:
    """My grid: its buildings, and one building's households (names and phones masked, with their tags)."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.my_tasks"))
    mine = work_order_service.my_grid_buildings(session, by=ctx.who, compound_id=ctx.compound.id)
    names = {b.id: b.name for b in house_service.buildings(session, compound_id=ctx.compound.id)}
    grid_buildings = [(g, bid, names.get(bid, "")) for g, bid in mine]
    chosen = query_int(building, minimum=1)
    if chosen not in {bid for _, bid in mine}:
        chosen = mine[0][1] if mine else None
    households = []
    if chosen is not None:
        houses, _ = house_service.search(
            session, who=ctx.who, compound_id=ctx.compound.id, building_id=chosen, offset=0, limit=500
        )
        households = [house_service.household(session, h) for h in houses]
    return _page(request, ctx, "grid", "grid", grid_buildings=grid_buildings, chosen=chosen, households=households)


@router.get("/field/snap")
def field_snap_form(request: Request, ctx: WorkPage, session: ReadSession) -> Response:
    """随手拍: photo, category, building and place."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.my_tasks"))
    mine = {bid for _, bid in work_order_service.my_grid_buildings(session, by=ctx.who, compound_id=ctx.compound.id)}
    buildings = sorted(
        house_service.buildings(session, compound_id=ctx.compound.id), key=lambda b: (b.id not in mine, b.id)
    )
    return _page(request, ctx, "snap", "snap", buildings=buildings, categories=SNAP_CATEGORIES)


@router.post("/field/snap")
def field_snap(
    request: Request,
    ctx: WorkPage,
    session: WriteSession,
    category: Annotated[str, Form(max_length=32)] = "other",
    building_id: Annotated[str, Form(max_length=12)] = "",
    location: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The report becomes a hazard order routed to the property (2-hour deadline); its photo is the before photo."""
    t = Translator(lang_of(request))
    if ctx.compound is None:
        return go_back(request, "/field/snap", err=t("wo.err.invalid"))
    cat = category if category in SNAP_CATEGORIES else "other"
    place = one_line(location)
    try:
        data = read_capped(photo.file, PHOTO_LIMIT) if photo is not None and photo.filename else b""
        if not data:
            from anju.workorders.exceptions import BadPhoto

            raise BadPhoto("a 随手拍 needs a photo", zh="请拍照后再上报")
        order = work_order_service.snap(
            session,
            by=ctx.who,
            compound_id=ctx.compound.id,
            category=cat,
            title=f"{t.maybe('field.cat.' + cat, cat)}{('：' + place) if place else ''}"[:200],
            building_id=query_int(building_id, minimum=1),
            location=place,
            description=(description or "").strip()[:2000],
            photo=data,
        )
    except AppError as exc:
        return refused(request, session, "/field/snap", exc)
    return go_back(request, "/field/reports", ok=t("field.ok.snap", n=order.id))


@router.get("/field/reports")
def field_reports(request: Request, ctx: WorkPage, session: ReadSession) -> Response:
    """My reports' progress: status, who has it, the deadline."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.my_tasks"))
    orders = work_order_service.reported_by_me(session, by=ctx.who, compound_id=ctx.compound.id)
    names = display_names(session, {o.assignee_user_id for o in orders if o.assignee_user_id})
    return _page(request, ctx, "reports", "reports", orders=orders, names=names)


@router.get("/field/alarms")
def field_alarms(
    request: Request, ctx: Annotated[ConsolePage, Depends(console_guard(AlarmsPerm.read))], session: ReadSession
) -> Response:
    """The guard's alarms on the phone: open ones, most severe first; a tap opens the alarm panel."""
    from anju.web.alarms_pages import inbox

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.control_room"))
    alarms = inbox(session, ctx.who, compound_id=ctx.compound.id, state="open", severity=None)
    return _page(request, ctx, "alarms", "alarms", alarms=alarms)


VisitPage = Annotated[ConsolePage, Depends(console_guard(CarePerm.visit))]
VISIT_OUTCOMES = ("fine", "away", "hospital", "deceased", "other")
HISTORY_SIZE = 20


@router.get("/field/visits")
def field_visits(request: Request, ctx: VisitPage, session: ReadSession) -> Response:
    """My visit list (the care domain's planned visits: people living alone, special hardship, after an alarm),
    overdue first, with a form for the outcome; below, the visits I recorded."""
    from anju.care.service import care_service
    from anju.core.kit.china_time import china_date

    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.my_tasks"))
    cid = ctx.compound.id
    profiles = {
        p.id: care_service.read(session, by=ctx.who, profile=p)
        for p in care_service.profiles(session, by=ctx.who, compound_id=cid)
    }
    due = care_service.visits(session, by=ctx.who, compound_id=cid, mine=True, status="open")
    overdue = {v.id for v in care_service.overdue(session, by=ctx.who, compound_id=cid)}
    due.sort(key=lambda v: (v.id not in overdue, v.kind != "alarm", v.due_on, v.id))
    done = [
        v
        for v in care_service.visits(session, by=ctx.who, compound_id=cid, status="done")
        if v.visited_by == ctx.who.user_id
    ]
    done.sort(key=lambda v: (v.visited_at is not None, v.visited_at, v.id), reverse=True)
    return _page(
        request,
        ctx,
        "visits",
        "visits",
        due=due,
        overdue=overdue,
        done=done[:HISTORY_SIZE],
        profiles=profiles,
        outcomes=VISIT_OUTCOMES,
        today=china_date(),
    )


@router.post("/field/visits/{visit_id}/record")
def field_visit_record(
    visit_id: int,
    request: Request,
    ctx: VisitPage,
    session: WriteSession,
    outcome: Annotated[str, Form(max_length=16)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record a visit's outcome and note through the care service (a second record of one visit is refused)."""
    from anju.web.care_pages import record_visit_form

    return record_visit_form(
        request, session, ctx.who, visit_id, outcome, note, "/field/visits", bad_outcome="field.visits.bad_outcome"
    )
