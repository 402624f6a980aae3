"""Parking pages: the console's lane desk (live captures, hold/release with a reason, booth payment, cars inside,
zombie cars, fire-lane stops), car parks and spaces; the resident's H5 page (my vehicles, passes, visitor cars)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from pydantic import ValidationError
from starlette.responses import Response

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError
from anju.core.kit.china_time import CHINA_TZ
from anju.core.kit.money import yuan
from anju.parking.permissions import ParkingPerm
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import error_message, go_back, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
ParkingPage = Annotated[ConsolePage, Depends(console_guard(ParkingPerm.read))]
ResidentParkingPage = Annotated[Principal, Depends(page_guard(ParkingPerm.visitor))]
DESK = "/console/parking"
LIVE_POLL_SECONDS = 3


def _back(car_park_id: int | None) -> str:
    return f"{DESK}?car_park_id={car_park_id}" if car_park_id else DESK


@router.get(DESK)
def parking_desk(request: Request, ctx: ParkingPage, session: ReadSession, car_park_id: int | None = None) -> Response:
    """停车管理: the guard's lane desk and the car park's spaces."""
    from anju.parking.lane_service import display, lane_service

    desk = lane_service.desk(session, by=ctx.who, car_park_id=car_park_id)
    return render(
        request,
        "parking/desk.html",
        ctx.context(
            "nav.parking",
            **desk,
            display=display,
            yuan=yuan,
            can_lane=ctx.who.can(ParkingPerm.lane),
            can_manage=ctx.who.can(ParkingPerm.manage),
            err=request.query_params.get("err"),
            ok=request.query_params.get("ok"),
            poll=LIVE_POLL_SECONDS,
        ),
    )


@router.get(DESK + "/live")
def lane_live(request: Request, ctx: ParkingPage, session: ReadSession, car_park_id: int | None = None) -> Response:
    """The desk's latest captures (polled by the page): the guard sees each car as it arrives."""
    from anju.parking.lane_service import display, lane_service

    desk = lane_service.desk(session, by=ctx.who, car_park_id=car_park_id)
    if desk["car_park"] is None:
        return Response("", media_type="text/html")
    return render(
        request,
        "parking/_lane_events.html",
        ctx.context("nav.parking", **desk, display=display, yuan=yuan, can_lane=ctx.who.can(ParkingPerm.lane)),
    )


@router.get(DESK + "/events/{event_id}/photo.jpg")
def lane_photo(event_id: int, ctx: ParkingPage, session: ReadSession) -> Response:
    """A capture's photo, masked (R-A3: faces and other cars' plates pixelated); lane operators only."""
    from anju.core.errors import Forbidden
    from anju.parking.lane_service import lane_service

    if not ctx.who.can(ParkingPerm.lane):
        raise Forbidden("lane photos are for the lane desk", zh="仅车道岗位可查看抓拍照片")
    data = lane_service.masked_photo(session, by=ctx.who, event_id=event_id)
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@router.post(DESK + "/events/{event_id}/release")
def release_lane(
    request: Request,
    event_id: int,
    ctx: ParkingPage,
    session: WriteSession,
    reason: Annotated[str, Form()] = "",
    plate: Annotated[str, Form()] = "",
    car_park_id: Annotated[int | None, Form()] = None,
) -> Response:
    """人工放行: a held capture opens with the guard's reason (and a corrected plate, if given)."""
    from anju.parking.lane_service import lane_service
    from anju.parking.schemas import ReleaseIn

    t = Translator(lang_of(request))
    ctx.who.require(ParkingPerm.lane)
    try:
        body = ReleaseIn(reason=reason, plate=plate or None)
    except ValidationError:
        return go_back(request, _back(car_park_id), err=t("parking.err.release"))
    try:
        lane_service.release(session, by=ctx.who, event_id=event_id, data=body)
    except AppError as e:
        return go_back(request, _back(car_park_id), err=error_message(request, e))
    return go_back(request, _back(car_park_id), ok=t("parking.ok.released"))


@router.post(DESK + "/sessions/{session_id}/pay")
def pay_at_booth(
    request: Request,
    session_id: int,
    ctx: ParkingPage,
    session: WriteSession,
    receipt: Annotated[str, Form()] = "",
    car_park_id: Annotated[int | None, Form()] = None,
) -> Response:
    """岗亭收费: the fee is paid at the booth (its receipt number makes a double submit harmless)."""
    from anju.parking.lane_service import lane_service
    from anju.parking.schemas import PayIn

    t = Translator(lang_of(request))
    ctx.who.require(ParkingPerm.lane)
    try:
        body = PayIn(payment_ref=f"BOOTH-{receipt.strip()}", paid_via="booth")
    except ValidationError:
        return go_back(request, _back(car_park_id), err=t("parking.err.receipt"))
    try:
        lane_service.pay(session, by=ctx.who, session_id=session_id, data=body)
    except AppError as e:
        return go_back(request, _back(car_park_id), err=error_message(request, e))
    return go_back(request, _back(car_park_id), ok=t("parking.ok.paid"))


@router.post(DESK + "/fire-lane-stops/{stop_id}/end")
def end_fire_lane_stop(
    request: Request,
    stop_id: int,
    ctx: ParkingPage,
    session: WriteSession,
    car_park_id: Annotated[int | None, Form()] = None,
) -> Response:
    """The car has left the fire lane."""
    from anju.parking.lane_service import lane_service

    t = Translator(lang_of(request))
    ctx.who.require(ParkingPerm.lane)
    try:
        lane_service.end_fire_lane_stop(session, by=ctx.who, stop_id=stop_id)
    except AppError as e:
        return go_back(request, _back(car_park_id), err=error_message(request, e))
    return go_back(request, _back(car_park_id), ok=t("parking.ok.done"))


@router.post(DESK + "/car-parks")
def create_car_park(
    request: Request,
    ctx: ParkingPage,
    session: WriteSession,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "ground",
    unknown_policy: Annotated[str, Form()] = "hold",
    free_minutes: Annotated[str, Form()] = "30",
    per_hour_yuan: Annotated[str, Form()] = "5",
    day_cap_yuan: Annotated[str, Form()] = "30",
) -> Response:
    """A new car park with its temporary-parking tariff (entered in yuan, kept in fen)."""
    from anju.core.kit.money import parse_yuan
    from anju.parking.schemas import CarParkCreate
    from anju.parking.service import parking_service

    t = Translator(lang_of(request))
    ctx.who.require(ParkingPerm.manage)
    if ctx.compound is None:
        return go_back(request, DESK, err=t("parking.err.car_park"))
    try:
        body = CarParkCreate(
            compound_id=ctx.compound.id,
            name=name,
            kind=kind,
            unknown_policy=unknown_policy,
            free_minutes=int(free_minutes or 0),
            per_hour_fen=parse_yuan(per_hour_yuan, field="per_hour_yuan"),
            day_cap_fen=parse_yuan(day_cap_yuan, field="day_cap_yuan"),
        )
    except (ValidationError, ValueError, AppError):
        return go_back(request, DESK, err=t("parking.err.car_park"))
    cp = parking_service.create_car_park(session, by=ctx.who, data=body)
    return go_back(request, _back(cp.id), ok=t("parking.ok.done"))


@router.post(DESK + "/car-parks/{car_park_id}/spaces")
def add_space(
    request: Request,
    car_park_id: int,
    ctx: ParkingPage,
    session: WriteSession,
    code: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "public",
    plan_x: Annotated[str, Form()] = "",
    plan_y: Annotated[str, Form()] = "",
) -> Response:
    """A space (or a fire-lane no-parking zone) with its point on the site plan (0–1)."""
    from anju.parking.schemas import SpaceCreate
    from anju.parking.service import parking_service

    t = Translator(lang_of(request))
    ctx.who.require(ParkingPerm.manage)
    try:
        body = SpaceCreate(
            code=code,
            kind=kind,
            plan_x=float(plan_x) if plan_x.strip() else None,
            plan_y=float(plan_y) if plan_y.strip() else None,
        )
    except (ValidationError, ValueError):
        return go_back(request, _back(car_park_id), err=t("parking.err.space"))
    try:
        parking_service.add_space(session, by=ctx.who, car_park_id=car_park_id, data=body)
    except AppError as e:
        return go_back(request, _back(car_park_id), err=error_message(request, e))
    return go_back(request, _back(car_park_id), ok=t("parking.ok.done"))


@router.get(DESK + "/car-parks/{car_park_id}/spaces.xlsx")
def export_spaces(
    request: Request, car_park_id: int, ctx: ParkingPage, session: ReadSession, template: int = 0
) -> Response:
    """车位导出 / 模板: the car park's spaces in Excel, or the empty template with an example row."""
    from urllib.parse import quote

    from anju.parking.space_sheet import XLSX_MEDIA_TYPE, export_spaces

    data = export_spaces(session, by=ctx.who, car_park_id=car_park_id, template=bool(template))
    name = "车位导入模板.xlsx" if template else "车位.xlsx"
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.post(DESK + "/car-parks/{car_park_id}/spaces/import")
async def import_spaces(
    request: Request,
    car_park_id: int,
    ctx: ParkingPage,
    session: WriteSession,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[str, Form()] = "",
) -> Response:
    """车位导入: add or update spaces from Excel, with a row-by-row report (a dry run writes nothing)."""
    from anju.parking.space_sheet import import_spaces as run_import

    ctx.who.require(ParkingPerm.manage)
    data = await file.read(8 * 1024 * 1024 + 1)
    try:
        if len(data) > 8 * 1024 * 1024:
            from anju.core.errors import TooLarge

            raise TooLarge("file over 8 MB", zh="文件超过 8 MB")
        report = run_import(
            session, by=ctx.who, car_park_id=car_park_id, filename=file.filename or "", data=data, dry_run=bool(dry_run)
        )
    except AppError as e:
        return go_back(request, _back(car_park_id), err=error_message(request, e))
    return render(
        request,
        "parking/import_report.html",
        ctx.context("nav.parking", report=report, car_park_id=car_park_id),
    )


# --- resident H5 -------------------------------------------------------------------------------------------
@router.get("/h5/parking")
def my_parking(request: Request, who: ResidentParkingPage, session: ReadSession) -> Response:
    """我的车辆: my vehicles and passes, and visitor cars I let in."""
    import secrets

    from anju.parking.lane_service import lane_service
    from anju.parking.service import parking_service
    from anju.registry.service import house_service

    now = utcnow().astimezone(CHINA_TZ).replace(second=0, microsecond=0)
    return render(
        request,
        "parking/h5.html",
        {
            "who": who,
            **parking_service.my_parking(session, by=who),
            "stays": lane_service.my_stays(session, by=who),
            "yuan": yuan,
            "pay_ref": f"H5{secrets.token_hex(8).upper()}",  # one submit pays once, however often it is sent
            "houses": [house_service.get_readable(session, who=who, house_id=h) for h in sorted(who.house_ids)],
            "default_from": now.strftime("%Y-%m-%dT%H:%M"),
            "default_until": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "err": request.query_params.get("err"),
            "ok": request.query_params.get("ok"),
        },
    )


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=CHINA_TZ)


@router.post("/h5/parking/visitor-cars")
def authorise_visitor_car(
    request: Request,
    who: ResidentParkingPage,
    session: WriteSession,
    house_id: Annotated[int, Form()],
    plate: Annotated[str, Form()] = "",
    valid_from: Annotated[str, Form()] = "",
    valid_until: Annotated[str, Form()] = "",
) -> Response:
    """A resident lets a visitor's car in for a window (China time on the form)."""
    from anju.parking.schemas import VisitorCarCreate
    from anju.parking.service import parking_service

    t = Translator(lang_of(request))
    try:
        body = VisitorCarCreate(
            house_id=house_id, plate=plate, valid_from=_local(valid_from), valid_until=_local(valid_until)
        )
    except (ValidationError, ValueError):
        return go_back(request, "/h5/parking", err=t("parking.err.visitor"))
    try:
        parking_service.authorise_visitor(session, by=who, data=body)
    except AppError as e:
        return go_back(request, "/h5/parking", err=error_message(request, e))
    return go_back(request, "/h5/parking", ok=t("parking.ok.visitor"))


@router.post("/h5/parking/stays/{stay_id}/pay")
def prepay_stay(
    request: Request,
    stay_id: int,
    who: ResidentParkingPage,
    session: WriteSession,
    pay_ref: Annotated[str, Form()] = "",
) -> Response:
    """预付停车费: the household pays a stay still inside (simulated QR provider); another household's stay is 404."""
    from anju.parking.lane_service import lane_service

    t = Translator(lang_of(request))
    lane_service.my_stay(session, by=who, session_id=stay_id)  # 404 outside the caller's household
    if not 4 <= len(pay_ref.strip()) <= 64:
        return go_back(request, "/h5/parking", err=t("parking.err.pay"))
    try:
        lane_service.prepay(session, by=who, session_id=stay_id, payment_ref=pay_ref.strip())
    except AppError as e:
        return refused(request, session, "/h5/parking", e)
    return go_back(request, "/h5/parking", ok=t("parking.ok.prepaid"))


# --- 无牌车: the lane's QR and the H5 page it opens (no login: the stay is keyed to a token on the phone) ------
NO_PLATE_COOKIE = "anju_np"


def _lane_url(request: Request, lane_id: int) -> str:
    from anju.parking.lane_service import lane_service

    return f"/h5/parking/lane/{lane_id}/{lane_service.lane_qr_token(lane_id)}"


@router.get(DESK + "/lanes/{lane_id}/qr.svg")
def lane_qr(lane_id: int, request: Request, ctx: ParkingPage, session: ReadSession) -> Response:
    """The QR to print at a lane: a car without a plate scans it to enter (entry lane) or to pay and leave (exit)."""
    import segno

    from anju.parking.service import parking_service

    lane = parking_service.lane(session, by=ctx.who, lane_id=lane_id)
    url = str(request.base_url).rstrip("/") + _lane_url(request, lane.id)
    svg = segno.make(url, error="m").svg_inline(scale=4, title=lane.name)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/h5/parking/lane/{lane_id}/{token}")
def no_plate_page(request: Request, lane_id: int, token: str, session: ReadSession) -> Response:
    """What a lane's QR opens: enter without a plate, or see the fee and pay to leave."""
    import secrets

    from anju.parking.lane_service import lane_service

    lane = lane_service.qr_lane(session, lane_id=lane_id, token=token)
    car = request.cookies.get(NO_PLATE_COOKIE)
    stay, due = None, 0
    if car:
        try:
            stay = lane_service.no_plate_stay(session, lane=lane, car_token=car)
            due = lane_service.no_plate_fee(session, lane=lane, s=stay, now=utcnow())
        except AppError:
            stay = None
    return render(
        request,
        "parking/no_plate.html",
        {
            "lane": lane,
            "action": _lane_url(request, lane.id),
            "stay": stay,
            "due": due,
            "yuan": yuan,
            "pay_ref": f"NP{secrets.token_hex(8).upper()}",  # one submit pays once, however often it is sent
            "err": request.query_params.get("err"),
            "ok": request.query_params.get("ok"),
        },
    )


@router.post("/h5/parking/lane/{lane_id}/{token}/enter")
def no_plate_enter(request: Request, lane_id: int, token: str, session: WriteSession) -> Response:
    from anju.parking.enums import Decision
    from anju.parking.lane_service import lane_service

    t = Translator(lang_of(request))
    back = _lane_url(request, lane_id)
    lane = lane_service.qr_lane(session, lane_id=lane_id, token=token)
    try:
        ev, stay = lane_service.no_plate_entry(session, lane=lane, car_token=request.cookies.get(NO_PLATE_COOKIE))
    except AppError as e:
        return go_back(request, back, err=error_message(request, e))
    ok = t("parking.np.entered") if ev.decision == Decision.open else t("parking.np.wait_guard")
    response = go_back(request, back, ok=ok)
    response.set_cookie(
        NO_PLATE_COOKIE,
        stay.no_plate_token or "",
        max_age=30 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/h5/parking/lane",
    )
    return response


@router.post("/h5/parking/lane/{lane_id}/{token}/leave")
def no_plate_leave(
    request: Request, lane_id: int, token: str, session: WriteSession, pay_ref: Annotated[str, Form()] = ""
) -> Response:
    from anju.parking.lane_service import lane_service

    t = Translator(lang_of(request))
    back = _lane_url(request, lane_id)
    lane = lane_service.qr_lane(session, lane_id=lane_id, token=token)
    try:
        lane_service.no_plate_exit(
            session, lane=lane, car_token=request.cookies.get(NO_PLATE_COOKIE), payment_ref=pay_ref or None
        )
    except AppError as e:
        return refused(request, session, back, e)
    return go_back(request, back, ok=t("parking.np.left"))
