"""Parking API: car parks, spaces, lanes, passes, blacklist, visitor cars, lane captures and the guard's desk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from anju.core.auth import Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Invalid, NotFound, TooLarge, Unauthenticated
from anju.parking.exceptions import (
    AlreadyDecided,
    CarParkNotFound,
    CouponCodeTaken,
    CouponNotFound,
    CouponUnusable,
    LaneEventNotFound,
    LaneNotFound,
    LanePhotoNotFound,
    NothingToPay,
    ParkingSessionNotFound,
    SpaceCodeTaken,
    SpaceNotFound,
)
from anju.parking.lane_service import capture_summary, lane_service
from anju.parking.models import (
    CarPark,
    FireLaneStop,
    LaneEvent,
    ParkingCoupon,
    ParkingLane,
    ParkingPass,
    ParkingSession,
    ParkingSpace,
)
from anju.parking.permissions import ParkingPerm
from anju.parking.schemas import (
    BlacklistCreate,
    CaptureIn,
    CaptureResult,
    CarParkCreate,
    CarParkRead,
    CouponCreate,
    CouponRead,
    FireLaneStopIn,
    FireLaneStopRead,
    LaneCreate,
    LaneEventRead,
    LaneRead,
    MyParking,
    PassCreate,
    PassRead,
    PayIn,
    RedeemIn,
    ReleaseIn,
    SessionRead,
    SpaceCreate,
    SpaceRead,
    VisitorCarCreate,
    VisitorCarRead,
)
from anju.parking.service import parking_service

router = APIRouter(prefix="/parking", tags=["parking"])
me_router = APIRouter(prefix="/me", tags=["parking"])
ParkingReader = Annotated[Principal, requires(ParkingPerm.read)]
ParkingManager = Annotated[Principal, requires(ParkingPerm.manage)]
LaneOperator = Annotated[Principal, requires(ParkingPerm.lane)]
VisitorHost = Annotated[Principal, requires(ParkingPerm.visitor)]


@router.get("/car-parks", response_model=list[CarParkRead], responses={404: NotFound.doc()})
def list_car_parks(who: ParkingReader, session: ReadSession, compound_id: int | None = None) -> list[CarPark]:
    """Car parks of the caller's compounds (or of one)."""
    return parking_service.car_parks(session, by=who, compound_id=compound_id)


@router.post("/car-parks", response_model=CarParkRead, status_code=201, responses={404: NotFound.doc()})
def create_car_park(body: CarParkCreate, who: ParkingManager, session: WriteSession) -> CarPark:
    """A car park with its temporary-parking tariff (fen), visitor cap and timers."""
    return parking_service.create_car_park(session, by=who, data=body)


@router.get("/car-parks/{car_park_id}/spaces", response_model=list[SpaceRead], responses={404: CarParkNotFound.doc()})
def list_spaces(car_park_id: int, who: ParkingReader, session: ReadSession) -> list[ParkingSpace]:
    """A car park's spaces and fire-lane zones with their site-plan points."""
    return parking_service.spaces(session, by=who, car_park_id=car_park_id)


@router.post(
    "/car-parks/{car_park_id}/spaces",
    response_model=SpaceRead,
    status_code=201,
    responses={404: CarParkNotFound.doc(), 409: SpaceCodeTaken.doc()},
)
def add_space(car_park_id: int, body: SpaceCreate, who: ParkingManager, session: WriteSession) -> ParkingSpace:
    """Add a space (owned and rented spaces name their house) or a fire-lane no-parking zone."""
    return parking_service.add_space(session, by=who, car_park_id=car_park_id, data=body)


@router.get("/car-parks/{car_park_id}/lanes", response_model=list[LaneRead], responses={404: CarParkNotFound.doc()})
def list_lanes(car_park_id: int, who: ParkingReader, session: ReadSession) -> list[ParkingLane]:
    """A car park's entry and exit lanes with their barrier and camera devices."""
    return parking_service.lanes(session, by=who, car_park_id=car_park_id)


@router.post("/lanes", response_model=LaneRead, status_code=201, responses={404: CarParkNotFound.doc()})
def add_lane(body: LaneCreate, who: ParkingManager, session: WriteSession) -> ParkingLane:
    """An entry or exit lane bound to a barrier-gate device and a camera device of the same compound."""
    return parking_service.add_lane(session, by=who, data=body)


@router.post("/passes", response_model=PassRead, status_code=201, responses={404: CarParkNotFound.doc()})
def add_pass(body: PassCreate, who: ParkingManager, session: WriteSession) -> ParkingPass:
    """A monthly or annual pass for a registered vehicle (optionally one space); validity in China dates."""
    return parking_service.add_pass(session, by=who, data=body)


@router.post("/blacklist", status_code=201, responses={404: NotFound.doc()})
def add_blacklist(body: BlacklistCreate, who: ParkingManager, session: WriteSession) -> dict[str, Any]:
    """A plate refused at every entry lane (exact match only); a repeat returns the existing row."""
    row = parking_service.add_blacklist(session, by=who, data=body)
    return {"id": row.id, "plate": row.plate, "reason": row.reason}


@router.post(
    "/lanes/{lane_id}/captures",
    response_model=CaptureResult,
    responses={404: LaneNotFound.doc(), 413: TooLarge.doc(), 422: Invalid.doc()},
)
def capture(lane_id: int, body: CaptureIn, who: LaneOperator, session: WriteSession) -> dict[str, Any]:
    """A lane camera's capture (plate string, image, or both) -> the decision, in one request; retries are safe."""
    return capture_summary(lane_service.capture(session, by=who, lane_id=lane_id, data=body))


@router.post(
    "/lanes/{lane_id}/camera-captures",
    response_model=CaptureResult,
    responses={401: Unauthenticated.doc(), 404: LaneNotFound.doc(), 413: TooLarge.doc(), 422: Invalid.doc()},
)
async def camera_capture(
    lane_id: int,
    request: Request,
    session: WriteSession,
    x_device_key: Annotated[str | None, Header()] = None,
    x_device_secret: Annotated[str | None, Header()] = None,
    x_device_signature: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """The lane's camera posts its capture as a device (no person's login): `X-Device-Key` plus
    `X-Device-Signature: sha256=<hex HMAC-SHA256 of the raw body under the device secret>` (or `X-Device-Secret`),
    the same credentials as the device intake. Body as for the guard's captures; retries are safe."""
    body = await request.body()
    if len(body) > MAX_CAPTURE_BODY:
        raise TooLarge("capture body too large", zh="抓拍数据过大")
    return await run_in_threadpool(
        _camera_capture, session, lane_id, body, x_device_key, x_device_secret, x_device_signature
    )


MAX_CAPTURE_BODY = 12 * 1024 * 1024  # a base64 image of the largest accepted size, and its JSON


def _camera_capture(
    session: Any, lane_id: int, body: bytes, key: str | None, secret: str | None, signature: str | None
) -> dict[str, Any]:
    from anju.devices.intake_service import authenticate_push

    device = authenticate_push(session, device_key=key, secret=secret, signature=signature, body=body)
    try:
        data = CaptureIn.model_validate_json(body)
    except ValidationError as e:
        raise Invalid(
            "capture body is invalid",
            zh="抓拍数据格式不正确",
            fields=[
                {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"], "type": err["type"]}
                for err in e.errors()
            ],
        ) from e
    return capture_summary(lane_service.capture_from_camera(session, device_id=device.id, lane_id=lane_id, data=data))


@router.post(
    "/spaces/{space_id}/camera-stops",
    response_model=FireLaneStopRead,
    status_code=201,
    responses={401: Unauthenticated.doc(), 404: SpaceNotFound.doc(), 422: Invalid.doc()},
)
async def camera_fire_lane_stop(
    space_id: int,
    request: Request,
    session: WriteSession,
    x_device_key: Annotated[str | None, Header()] = None,
    x_device_secret: Annotated[str | None, Header()] = None,
    x_device_signature: Annotated[str | None, Header()] = None,
) -> FireLaneStop:
    """A camera of the compound (device credentials as for captures) reports a car standing in a fire-lane zone:
    body `{"plate": "...", "started_at": "..."}` (both optional); one open stop per zone."""
    body = await request.body()
    if len(body) > 64 * 1024:
        raise TooLarge("body too large", zh="数据过大")
    return await run_in_threadpool(
        _camera_stop, session, space_id, body, x_device_key, x_device_secret, x_device_signature
    )


def _camera_stop(
    session: Any, space_id: int, body: bytes, key: str | None, secret: str | None, signature: str | None
) -> FireLaneStop:
    import json

    from anju.devices.intake_service import authenticate_push

    device = authenticate_push(session, device_key=key, secret=secret, signature=signature, body=body)
    try:
        doc = json.loads(body or b"{}")
        if not isinstance(doc, dict):
            raise ValueError("not an object")
        data = FireLaneStopIn.model_validate({**doc, "space_id": space_id, "source": f"camera:{device.id}"})
    except ValidationError as e:
        raise Invalid(
            "stop body is invalid",
            zh="数据格式不正确",
            fields=[
                {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"], "type": err["type"]}
                for err in e.errors()
            ],
        ) from e
    except ValueError as e:
        raise Invalid("body is not a JSON object", zh="数据不是 JSON 对象") from e
    return lane_service.fire_lane_stop_from_camera(session, compound_id=device.compound_id, data=data)


@router.get("/lane-events", response_model=list[LaneEventRead], responses={404: LaneNotFound.doc()})
def list_lane_events(
    who: LaneOperator,
    session: ReadSession,
    lane_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[LaneEvent]:
    """Latest captures and decisions (the guard's lane desk)."""
    return lane_service.lane_events(session, by=who, lane_id=lane_id, limit=limit)


@router.post(
    "/lane-events/{event_id}/release",
    response_model=CaptureResult,
    responses={404: LaneEventNotFound.doc(), 409: AlreadyDecided.doc()},
)
def release(event_id: int, body: ReleaseIn, who: LaneOperator, session: WriteSession) -> dict[str, Any]:
    """The guard opens a held lane with a required reason (and may correct the plate read)."""
    return capture_summary(lane_service.release(session, by=who, event_id=event_id, data=body))


@router.get("/sessions", response_model=list[SessionRead])
def list_sessions(
    who: ParkingReader,
    session: ReadSession,
    inside: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ParkingSession]:
    """Parking stays, newest first; inside=true lists the cars inside now."""
    return lane_service.sessions(session, by=who, inside=inside, limit=limit)


@router.get("/zombies", response_model=list[SessionRead])
def list_zombies(who: ParkingReader, session: ReadSession) -> list[ParkingSession]:
    """疑似僵尸车: non-resident cars flagged for staying longer than the car park allows."""
    return lane_service.zombies(session, by=who)


@router.post(
    "/sessions/{session_id}/pay",
    response_model=SessionRead,
    responses={404: ParkingSessionNotFound.doc(), 409: NothingToPay.doc()},
)
def pay_session(session_id: int, body: PayIn, who: LaneOperator, session: WriteSession) -> ParkingSession:
    """Record a temporary-parking payment (booth or QR); the same reference again changes nothing."""
    return lane_service.pay(session, by=who, session_id=session_id, data=body)


@router.get(
    "/lane-events/{event_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, 404: LanePhotoNotFound.doc()},
)
def lane_photo(event_id: int, who: LaneOperator, session: ReadSession) -> Response:
    """The capture photo of a decision, masked (R-A3): faces and other cars' plates pixelated."""
    data = lane_service.masked_photo(session, by=who, event_id=event_id)
    return Response(content=data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@router.post(
    "/coupons",
    response_model=CouponRead,
    status_code=201,
    responses={404: CarParkNotFound.doc(), 409: CouponCodeTaken.doc()},
)
def issue_coupon(body: CouponCreate, who: ParkingManager, session: WriteSession) -> ParkingCoupon:
    """A merchant's coupon: free minutes or fen off one temporary stay in the car park."""
    return parking_service.issue_coupon(session, by=who, data=body)


@router.post(
    "/sessions/{session_id}/coupon",
    response_model=SessionRead,
    responses={404: CouponNotFound.doc(), 409: CouponUnusable.doc()},
)
def redeem_coupon(session_id: int, body: RedeemIn, who: LaneOperator, session: WriteSession) -> ParkingSession:
    """Apply a merchant coupon to a temporary stay before it pays; the same coupon again changes nothing."""
    return lane_service.redeem_coupon(session, by=who, session_id=session_id, data=body)


@router.post("/fire-lane-stops", response_model=FireLaneStopRead, status_code=201, responses={404: SpaceNotFound.doc()})
def report_fire_lane_stop(body: FireLaneStopIn, who: LaneOperator, session: WriteSession) -> FireLaneStop:
    """A car standing in a fire-lane zone (camera event or patrol report); alarmed past the time limit."""
    return lane_service.report_fire_lane_stop(session, by=who, data=body)


@router.post(
    "/fire-lane-stops/{stop_id}/end", response_model=FireLaneStopRead, responses={404: LaneEventNotFound.doc()}
)
def end_fire_lane_stop(stop_id: int, who: LaneOperator, session: WriteSession) -> FireLaneStop:
    """The car has left the fire-lane zone."""
    return lane_service.end_fire_lane_stop(session, by=who, stop_id=stop_id)


@router.post("/visitor-cars", response_model=VisitorCarRead, status_code=201, responses={404: NotFound.doc()})
def authorise_visitor_car(body: VisitorCarCreate, who: VisitorHost, session: WriteSession) -> object:
    """A resident lets a visitor's car in for a window (at most 7 days) for their own house."""
    return parking_service.authorise_visitor(session, by=who, data=body)


@me_router.get("/parking", response_model=MyParking)
def my_parking(who: VisitorHost, session: ReadSession) -> dict[str, Any]:
    """My vehicles, their passes and my visitor cars still valid."""
    return parking_service.my_parking(session, by=who)
