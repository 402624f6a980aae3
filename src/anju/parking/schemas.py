"""Parking request and response bodies."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, Field, field_validator

from anju.core.schemas import InSchema, Schema
from anju.parking.enums import (
    CarParkKind,
    Decision,
    DecisionReason,
    LaneDirection,
    PaidVia,
    PassKind,
    SessionCategory,
    SpaceKind,
    UnknownPolicy,
)
from anju.vision.plates import normalise_plate, plate_kind


def _plate(v: str) -> str:
    p = normalise_plate(v)
    if plate_kind(p) is None:
        raise ValueError(f"{v!r} is not a Chinese plate number / 车牌号格式不正确")
    return p


class CarParkCreate(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    kind: CarParkKind = CarParkKind.ground
    unknown_policy: UnknownPolicy = UnknownPolicy.hold
    visitor_cap_per_house: int = Field(default=2, ge=0, le=20)
    free_minutes: int = Field(default=30, ge=0, le=24 * 60)
    per_hour_fen: int = Field(default=500, ge=0, le=100_000)
    day_cap_fen: int = Field(default=3000, ge=0, le=1_000_000)
    exit_grace_minutes: int = Field(default=15, ge=0, le=240)
    zombie_days: int = Field(default=30, ge=1, le=365)
    fire_lane_minutes: int = Field(default=5, ge=1, le=24 * 60)
    night_per_hour_fen: int | None = Field(default=None, ge=0, le=100_000)  # None: the day rate all night
    night_from_minute: int = Field(default=22 * 60, ge=0, lt=24 * 60)  # China time
    night_until_minute: int = Field(default=7 * 60, ge=0, lt=24 * 60)
    new_energy_percent_off: int = Field(default=0, ge=0, le=100)


class CarParkRead(Schema):
    id: int
    compound_id: int
    name: str
    kind: CarParkKind
    unknown_policy: UnknownPolicy
    visitor_cap_per_house: int
    free_minutes: int
    per_hour_fen: int
    day_cap_fen: int
    exit_grace_minutes: int
    zombie_days: int
    fire_lane_minutes: int
    night_per_hour_fen: int | None
    night_from_minute: int
    night_until_minute: int
    new_energy_percent_off: int


class SpaceCreate(InSchema):
    code: str = Field(min_length=1, max_length=32)
    kind: SpaceKind
    house_id: int | None = None
    plan_x: float | None = Field(default=None, ge=0, le=1)
    plan_y: float | None = Field(default=None, ge=0, le=1)


class SpaceRead(Schema):
    id: int
    car_park_id: int
    code: str
    kind: SpaceKind
    house_id: int | None
    plan_x: float | None
    plan_y: float | None
    active: bool


class LaneCreate(InSchema):
    car_park_id: int
    name: str = Field(min_length=1, max_length=64)
    direction: LaneDirection
    barrier_device_id: int | None = None
    camera_device_id: int | None = None


class LaneRead(Schema):
    id: int
    car_park_id: int
    name: str
    direction: LaneDirection
    barrier_device_id: int | None
    camera_device_id: int | None


class PassCreate(InSchema):
    vehicle_id: int
    car_park_id: int
    space_id: int | None = None
    kind: PassKind
    valid_from: date
    valid_until: date | None = None  # default: one month or one year from valid_from, inclusive
    fee_fen: int = Field(default=0, ge=0, le=10_000_000)


class PassRead(Schema):
    id: int
    vehicle_id: int
    car_park_id: int
    space_id: int | None
    kind: PassKind
    valid_from: date
    valid_until: date
    fee_fen: int
    revoked_at: datetime | None


class BlacklistCreate(InSchema):
    compound_id: int
    plate: str
    reason: str = Field(min_length=1, max_length=200)

    _p = field_validator("plate")(_plate)


class VisitorCarCreate(InSchema):
    house_id: int
    plate: str
    valid_from: AwareDatetime
    valid_until: AwareDatetime

    _p = field_validator("plate")(_plate)


class VisitorCarRead(Schema):
    id: int
    house_id: int
    plate: str
    valid_from: datetime
    valid_until: datetime
    cancelled_at: datetime | None


class CaptureIn(InSchema):
    """A capture posted by a lane's camera (or its edge reader); event_id makes a retry return the same decision."""

    event_id: str = Field(min_length=1, max_length=64)
    plate: str | None = None  # the camera's own read, if it has one
    image_b64: str | None = Field(default=None, max_length=8_000_000)  # JPEG/PNG, base64
    at: AwareDatetime | None = None

    @field_validator("plate")
    @classmethod
    def _plate_ok(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else _plate(v)


class LaneEventRead(Schema):
    id: int
    lane_id: int
    event_id: str
    at: datetime
    plate: str | None
    camera_plate: str | None
    read_confidence: float | None
    had_image: bool
    decision: Decision
    reason: DecisionReason
    session_id: int | None
    fee_fen: int
    command_id: int | None
    release_reason: str | None


class CaptureResult(Schema):
    event: LaneEventRead
    display: str  # what the lane's LED shows / its speaker says (zh)
    display_en: str


class ReleaseIn(InSchema):
    reason: str = Field(min_length=2, max_length=200)
    plate: str | None = None  # the guard's correction of a misread plate

    @field_validator("plate")
    @classmethod
    def _plate_ok(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else _plate(v)


class CouponCreate(InSchema):
    """A merchant's coupon: free minutes or an amount (fen) off one temporary stay."""

    car_park_id: int
    merchant: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9-]+$")
    minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    fen: int = Field(default=0, ge=0, le=100_000)
    valid_until: AwareDatetime

    @field_validator("fen")
    @classmethod
    def _something_off(cls, v: int, info: object) -> int:
        data = getattr(info, "data", {})
        if v == 0 and not data.get("minutes"):
            raise ValueError("a coupon takes minutes or fen off / 优惠券须减免时长或金额")
        return v


class CouponRead(Schema):
    id: int
    car_park_id: int
    merchant: str
    code: str
    minutes: int
    fen: int
    valid_until: datetime
    session_id: int | None
    redeemed_at: datetime | None


class RedeemIn(InSchema):
    code: str = Field(min_length=4, max_length=32)


class PayIn(InSchema):
    paid_via: PaidVia = PaidVia.booth
    payment_ref: str = Field(min_length=4, max_length=64)  # booth receipt number or the provider's trade number


class SessionRead(Schema):
    id: int
    car_park_id: int
    plate: str
    category: SessionCategory
    house_id: int | None
    entered_at: datetime
    exited_at: datetime | None
    exit_missed: bool
    fee_fen: int
    paid_fen: int
    paid_at: datetime | None
    paid_via: PaidVia | None
    zombie_flagged_at: datetime | None


class FireLaneStopIn(InSchema):
    space_id: int
    plate: str | None = None
    source: str = Field(default="patrol", max_length=32)
    started_at: AwareDatetime | None = None

    @field_validator("plate")
    @classmethod
    def _plate_ok(cls, v: str | None) -> str | None:
        return None if v is None or not v.strip() else _plate(v)


class FireLaneStopRead(Schema):
    id: int
    space_id: int
    plate: str | None
    source: str
    started_at: datetime
    ended_at: datetime | None
    alarmed_at: datetime | None


class MyParking(Schema):
    vehicles: list[dict[str, object]]
    passes: list[PassRead]
    visitor_cars: list[VisitorCarRead]
