"""Tables of the analytics domain: the stored security reports (安全管理工作总结) and the security staff record
(training sessions and exams with attendance and scores, shifts with attendance) the report's staff section reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class SecurityReport(CompoundScopedMixin, Base):
    """One report per compound and period; its figures are fixed when generated, the rectification plan is not."""

    __tablename__ = "security_report"
    __table_args__ = (UniqueConstraint("compound_id", "period_kind", "period_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8))  # week | month | quarter | year
    period_start: Mapped[date] = mapped_column(Date)  # China date, first day
    period_end: Mapped[date] = mapped_column(Date)  # China date, first day after the period
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(8), default="job")  # job | user
    rectification: Mapped[str | None] = mapped_column(Text)  # the plan staff write (整改计划)
    rectification_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    rectification_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffTraining(CompoundScopedMixin, Base):
    """A training session or an exam held for the compound's security staff (培训、考核).

    An exam carries its pass mark; who attended (and, for an exam, their score) is in StaffTrainingRecord."""

    __tablename__ = "staff_training"
    __table_args__ = (Index("ix_staff_training_held", "compound_id", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # training | exam
    title: Mapped[str] = mapped_column(String(128))
    held_on: Mapped[date] = mapped_column(Date)  # China date
    hours: Mapped[float | None] = mapped_column(Float)
    pass_score: Mapped[int | None] = mapped_column(Integer)  # exams only, out of 100
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffTrainingRecord(CompoundScopedMixin, Base):
    """One staff member at one session: attended or not, and the exam score."""

    __tablename__ = "staff_training_record"
    __table_args__ = (UniqueConstraint("training_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("staff_training.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[int | None] = mapped_column(Integer)


class StaffShift(CompoundScopedMixin, Base):
    """One planned guard shift of one staff member and whether it was worked (考勤)."""

    __tablename__ = "staff_shift"
    __table_args__ = (
        UniqueConstraint("user_id", "starts_at"),
        Index("ix_staff_shift_span", "compound_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="planned")  # planned | attended | absent


class KeyPosition(CompoundScopedMixin, Base):
    """A key position of the compound that a camera must watch (重点部位: gates, lift lobbies, perimeter, bike
    garages, fire lanes…), and the cameras assigned to it (KeyPositionCamera). Covered when one of them is online."""

    __tablename__ = "key_position"
    __table_args__ = (UniqueConstraint("compound_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # KEY_POSITION_KINDS
    name: Mapped[str] = mapped_column(String(64))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    plan_x: Mapped[int | None] = mapped_column(Integer)
    plan_y: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeyPositionCamera(Base):
    """A camera (its device row, device type camera) whose field of view takes in a key position."""

    __tablename__ = "key_position_camera"
    key_position_id: Mapped[int] = mapped_column(ForeignKey("key_position.id", ondelete="CASCADE"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True, index=True)


class HotspotModel(CompoundScopedMixin, Base):
    """The theft hot-spot model of one compound fitted at the start of one China day (analytics.hotspot_cache).

    `upto_alarm_id` is the newest alarm id when it was fitted: an alarm with a higher id that occurred before the
    day (an offline replay) makes readers fall back to the full fit until the job fits the day again."""

    __tablename__ = "hotspot_model"
    __table_args__ = (UniqueConstraint("compound_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # China date; the model is fitted at its midnight
    upto_alarm_id: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HotspotCell(Base):
    """One place × hour-of-week cell of a fitted model: its recency weight at the day's midnight (neighbour votes
    included, no place prior) and its incident count; hour_of_week -1 holds the place's own weight and count."""

    __tablename__ = "hotspot_cell"
    model_id: Mapped[int] = mapped_column(ForeignKey("hotspot_model.id", ondelete="CASCADE"), primary_key=True)
    place: Mapped[str] = mapped_column(String(80), primary_key=True)
    hour_of_week: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    weight: Mapped[float] = mapped_column(Float)
    exact: Mapped[int] = mapped_column(Integer)
