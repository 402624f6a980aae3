"""Work-order tables: orders, their timeline, photos, SLA policies, deadline timers, teams and grid workers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin
from anju.workorders.enums import (
    OrderKind,
    OrderSource,
    OrderStatus,
    Priority,
    SlaState,
)


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class WorkOrder(CompoundScopedMixin, Base):
    """One request for work. Status moves only through the service, each move leaves a timeline row."""

    __tablename__ = "work_order"
    __table_args__ = (
        UniqueConstraint("alarm_id"),  # an alarm opens at most one order, however often the event arrives
        Index("ix_work_order_board", "compound_id", "status", "id"),
        Index("ix_work_order_assignee_status", "assignee_user_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrderKind] = mapped_column(_enum(OrderKind))
    category: Mapped[str] = mapped_column(String(32))  # plumbing, electrical, lift, fire_safety, cleaning…
    priority: Mapped[Priority] = mapped_column(_enum(Priority))
    source: Mapped[OrderSource] = mapped_column(_enum(OrderSource))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.new)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"), index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    reporter_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("work_team.id"))
    alarm_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Deadlines (already pushed back by every pause) and the pause in progress.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_from: Mapped[str | None] = mapped_column(String(16))  # the status to go back to after a pause
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    sla_state: Mapped[SlaState] = mapped_column(_enum(SlaState), default=SlaState.ok)
    response_met: Mapped[bool | None] = mapped_column()
    resolution_met: Mapped[bool | None] = mapped_column()
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    follow_up_note: Mapped[str | None] = mapped_column(String(500))
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quote_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    quote_status: Mapped[str | None] = mapped_column(String(12))  # proposed | accepted | declined
    parts_used: Mapped[str | None] = mapped_column(String(500))  # what the technician fitted, as they wrote it


class WorkOrderEvent(Base):
    """The timeline: every transition with actor, time and note; visible to the reporter."""

    __tablename__ = "work_order_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the system
    note: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkOrderPhoto(Base):
    """A photo, checked by content (not by name) and kept in the database with its digest."""

    __tablename__ = "work_order_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stage: Mapped[str | None] = mapped_column(String(12))  # PhotoStage: before | after (None: not said)


class SlaPolicy(Base):
    """A compound's deadlines for a category ("*" = any) and priority; absent rows fall back to the grade presets."""

    __tablename__ = "work_order_sla"
    __table_args__ = (UniqueConstraint("compound_id", "category", "priority"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    category: Mapped[str] = mapped_column(String(32), default="*")
    priority: Mapped[str] = mapped_column(String(16))
    response_minutes: Mapped[int | None] = mapped_column(Integer)  # arrival; None: no response deadline
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    calendar: Mapped[str] = mapped_column(String(12), default="24x7")  # 24x7 | business


class WorkOrderTimer(Base):
    """A deadline timer (warning at 80 %, breach L1, L2, L3), fired or cancelled once by compare-and-set."""

    __tablename__ = "work_order_timer"
    __table_args__ = (
        UniqueConstraint("order_id", "deadline", "level"),
        Index("ix_work_order_timer_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id", ondelete="CASCADE"), index=True)
    compound_id: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[str] = mapped_column(String(12))  # response | resolution
    level: Mapped[int] = mapped_column(Integer)  # 0 warning, 1 supervisor, 2 manager, 3 company
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | fired | cancelled
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fired_by: Mapped[str | None] = mapped_column(String(64))


class WorkTeam(CompoundScopedMixin, Base):
    """A team that takes the categories it lists (e.g. 工程部: plumbing, electrical)."""

    __tablename__ = "work_team"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    strategy: Mapped[str] = mapped_column(String(16), default="least_loaded")  # least_loaded | round_robin
    rr_cursor: Mapped[int] = mapped_column(Integer, default=0)


class WorkTeamMember(Base):
    __tablename__ = "work_team_member"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("work_team.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class GridWorker(Base):
    """Who looks after a grid (网格员): grid events (hazards) in its buildings go to them."""

    __tablename__ = "grid_worker"
    __table_args__ = (UniqueConstraint("grid_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
