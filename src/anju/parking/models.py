"""Parking tables: car parks (with their tariff), spaces, lanes, passes, visitor cars, blacklist, sessions,
lane captures (one row per camera post: UNIQUE(lane, event id) makes retries safe) and fire-lane stops."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Enum, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin
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


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class CarPark(CompoundScopedMixin, TimestampedMixin, Base):
    """A car park with its tariff for temporary parking (fen) and its timers."""

    __tablename__ = "car_park"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[CarParkKind] = mapped_column(_enum(CarParkKind))
    unknown_policy: Mapped[UnknownPolicy] = mapped_column(_enum(UnknownPolicy), default=UnknownPolicy.hold)
    visitor_cap_per_house: Mapped[int] = mapped_column(Integer, default=2)
    free_minutes: Mapped[int] = mapped_column(Integer, default=30)
    per_hour_fen: Mapped[int] = mapped_column(Integer, default=500)
    day_cap_fen: Mapped[int] = mapped_column(Integer, default=3000)
    exit_grace_minutes: Mapped[int] = mapped_column(Integer, default=15)  # paid, then this long to leave
    zombie_days: Mapped[int] = mapped_column(Integer, default=30)
    fire_lane_minutes: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(default=True)
    # Night rate for hours starting in the window (China time, minutes after midnight); None: the day rate.
    night_per_hour_fen: Mapped[int | None] = mapped_column(Integer)
    night_from_minute: Mapped[int] = mapped_column(Integer, default=22 * 60, server_default="1320")
    night_until_minute: Mapped[int] = mapped_column(Integer, default=7 * 60, server_default="420")
    new_energy_percent_off: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # green plates


class ParkingSpace(CompoundScopedMixin, TimestampedMixin, Base):
    """A space (or a fire-lane no-parking zone) with its point on the site plan (0..1 of the plan's width/height)."""

    __tablename__ = "parking_space"
    __table_args__ = (UniqueConstraint("car_park_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[SpaceKind] = mapped_column(_enum(SpaceKind))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"), index=True)  # owned / rented by
    plan_x: Mapped[float | None] = mapped_column(Float)
    plan_y: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)


class ParkingLane(CompoundScopedMixin, TimestampedMixin, Base):
    """An entry or exit lane with its barrier (takes open commands) and its plate camera."""

    __tablename__ = "parking_lane"
    id: Mapped[int] = mapped_column(primary_key=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    direction: Mapped[LaneDirection] = mapped_column(_enum(LaneDirection))
    barrier_device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)
    camera_device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"), index=True)


class ParkingPass(CompoundScopedMixin, TimestampedMixin, Base):
    """A monthly or annual pass of one vehicle (optionally for one space), valid on China dates from..until."""

    __tablename__ = "parking_pass"
    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int | None] = mapped_column(ForeignKey("parking_space.id"), index=True)
    kind: Mapped[PassKind] = mapped_column(_enum(PassKind))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # inclusive (以内)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class VisitorCar(CompoundScopedMixin, TimestampedMixin, Base):
    """A visitor car a resident authorised for their house inside a time window."""

    __tablename__ = "visitor_car"
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ParkingBlacklist(CompoundScopedMixin, TimestampedMixin, Base):
    __tablename__ = "parking_blacklist"
    __table_args__ = (UniqueConstraint("compound_id", "plate"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))


class ParkingSession(CompoundScopedMixin, Base):
    """One stay of a car in a car park, from the entry capture to the exit capture."""

    __tablename__ = "parking_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[SessionCategory] = mapped_column(_enum(SessionCategory))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    visitor_car_id: Mapped[int | None] = mapped_column(ForeignKey("visitor_car.id"))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"), index=True)  # the visitor's host
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    exited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    exit_missed: Mapped[bool] = mapped_column(default=False)  # closed by a later entry of the same plate
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    paid_fen: Mapped[int] = mapped_column(Integer, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_via: Mapped[PaidVia | None] = mapped_column(_enum(PaidVia))
    payment_ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # a replayed payment is a no-op
    zombie_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 无牌车: a car without a plate scanned the lane's QR; the stay is keyed to a token on the phone.
    no_plate_token: Mapped[str | None] = mapped_column(String(32), unique=True)


class LaneEvent(CompoundScopedMixin, Base):
    """A capture at a lane and its decision; a retried camera post (same event id) returns the same row."""

    __tablename__ = "lane_event"
    __table_args__ = (UniqueConstraint("lane_id", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lane_id: Mapped[int] = mapped_column(ForeignKey("parking_lane.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    plate: Mapped[str | None] = mapped_column(String(16))
    camera_plate: Mapped[str | None] = mapped_column(String(16))
    read_confidence: Mapped[float | None] = mapped_column(Float)
    had_image: Mapped[bool] = mapped_column(default=False)
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    reason: Mapped[DecisionReason] = mapped_column(_enum(DecisionReason))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("parking_session.id"), index=True)
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    command_id: Mapped[int | None] = mapped_column(Integer)  # the barrier's open command, when one was sent
    released_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    release_reason: Mapped[str | None] = mapped_column(String(200))


class FireLaneStop(CompoundScopedMixin, Base):
    """A car standing in a fire-lane zone, reported by a camera or a patrol; alarmed once past the time limit."""

    __tablename__ = "fire_lane_stop"
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("parking_space.id", ondelete="CASCADE"), index=True)
    plate: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(32))  # "camera:<device id>", "patrol:<user id>"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    alarmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LanePhoto(Base):
    """The capture image of one lane decision, checked by content, kept in the database with its digest.

    Shown only masked (R-A3): faces and other cars' plates pixelated; `keep_box` is the decided plate's box."""

    __tablename__ = "lane_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    lane_event_id: Mapped[int] = mapped_column(ForeignKey("lane_event.id", ondelete="CASCADE"), unique=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    keep_box: Mapped[list[int] | None] = mapped_column(JSON)  # x0, y0, x1, y1 of the plate decided on
    other_boxes: Mapped[list[list[int]] | None] = mapped_column(JSON)  # other plates the reader found
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ParkingCoupon(CompoundScopedMixin, TimestampedMixin, Base):
    """A merchant's coupon (商户优惠券): free minutes or fen off one temporary stay, redeemed once."""

    __tablename__ = "parking_coupon"
    __table_args__ = (UniqueConstraint("compound_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    car_park_id: Mapped[int] = mapped_column(ForeignKey("car_park.id", ondelete="CASCADE"), index=True)
    merchant: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(32))
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    fen: Mapped[int] = mapped_column(Integer, default=0)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    session_id: Mapped[int | None] = mapped_column(ForeignKey("parking_session.id"), unique=True)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
