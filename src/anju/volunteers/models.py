"""Volunteer tables: volunteers, activities (patrol shifts, events), sign-ups with attendance, points, rewards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class Volunteer(CompoundScopedMixin, Base):
    """A resident registered as a volunteer in one compound; `points` is the balance of their ledger."""

    __tablename__ = "volunteer"
    __table_args__ = (
        UniqueConstraint("compound_id", "user_id"),
        CheckConstraint("points >= 0", name="points_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(32))
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # 急救, 消防, 电工, 外语 …
    availability: Mapped[str] = mapped_column(String(128), default="")  # "周末上午", "工作日晚上"
    points: Mapped[int] = mapped_column(Integer, default=0)
    minutes_served: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolunteerActivity(CompoundScopedMixin, Base):
    """A patrol shift (邻里守望) or an event: when, where, how many, and points per hour served."""

    __tablename__ = "volunteer_activity"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # ActivityKind
    title: Mapped[str] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(64), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    signed_up: Mapped[int] = mapped_column(Integer, default=0)  # moved by compare-and-set: never past capacity
    points_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolunteerSignup(CompoundScopedMixin, Base):
    """A volunteer on an activity, with their own check-in and check-out (the hours served)."""

    __tablename__ = "volunteer_signup"
    __table_args__ = (UniqueConstraint("activity_id", "volunteer_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("volunteer_activity.id", ondelete="CASCADE"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolunteerReward(CompoundScopedMixin, Base):
    """Something points can be exchanged for (a 物业费 voucher, a gift), with its stock."""

    __tablename__ = "volunteer_reward"
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    cost_points: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PointsEntry(CompoundScopedMixin, Base):
    """One line of a volunteer's points ledger: earned for a sign-up, or redeemed for a reward (what for)."""

    __tablename__ = "volunteer_points"
    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteer.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # PointsKind
    amount: Mapped[int] = mapped_column(Integer)  # + earned, - redeemed
    reason: Mapped[str] = mapped_column(String(128))
    source_key: Mapped[str] = mapped_column(String(48), unique=True)  # "signup:12", "redeem:<token>"
    reward_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_reward.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
