"""Patrol tables: routes, checkpoints (QR code / NFC tag), schedules with windows, check-ins, rounds, gap alerts,
shift handovers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class PatrolRoute(CompoundScopedMixin, Base):
    __tablename__ = "patrol_route"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PatrolCheckpoint(CompoundScopedMixin, Base):
    """A point on a route; `code` is what its printed QR carries, `nfc_tag` the id of a tag stuck there."""

    __tablename__ = "patrol_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_route.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    nfc_tag: Mapped[str | None] = mapped_column(String(64), unique=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    key_point: Mapped[bool] = mapped_column(Boolean, default=False)
    max_interval_minutes: Mapped[int | None] = mapped_column(Integer)  # R-W5: longest allowed gap between check-ins
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PatrolSchedule(CompoundScopedMixin, Base):
    """A round of a route that must be walked inside a daily window (China time)."""

    __tablename__ = "patrol_schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("patrol_route.id", ondelete="CASCADE"), index=True)
    start_minute: Mapped[int] = mapped_column(Integer)  # minutes after local midnight
    window_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the scheduler added it: no round before is judged (None: judged from the route's first checkpoint).
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    auto: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # R-S4 daily patrol


class PatrolCheckin(CompoundScopedMixin, Base):
    """A timestamped scan of a checkpoint (R-W5)."""

    __tablename__ = "patrol_checkin"
    # A check-in queued offline is sent again until it is acknowledged: the phone's id for it is kept once.
    __table_args__ = (UniqueConstraint("user_id", "client_id", name="uq_patrol_checkin_client"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("patrol_checkpoint.id", ondelete="CASCADE"), index=True)
    route_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    method: Mapped[str] = mapped_column(String(8))  # qr | nfc
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)  # when it was scanned
    client_id: Mapped[str | None] = mapped_column(String(64))  # the phone's id for a queued check-in
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # set when it reached the server late


class PatrolRound(CompoundScopedMixin, Base):
    """The verdict on one scheduled round, decided once (unique per schedule and day)."""

    __tablename__ = "patrol_round"
    __table_args__ = (UniqueConstraint("schedule_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("patrol_schedule.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8))  # done | missed
    checked: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PatrolGapAlert(Base):
    """One alarm per gap at a key point: the gap is named by the last check-in time before it."""

    __tablename__ = "patrol_gap_alert"
    __table_args__ = (UniqueConstraint("checkpoint_id", "gap_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("patrol_checkpoint.id", ondelete="CASCADE"))
    gap_from: Mapped[datetime] = mapped_column(UTCDateTime())
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShiftHandover(CompoundScopedMixin, Base):
    """交接班: who hands over to whom, with what is still open."""

    __tablename__ = "patrol_handover"
    id: Mapped[int] = mapped_column(primary_key=True)
    from_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(String(1000))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
