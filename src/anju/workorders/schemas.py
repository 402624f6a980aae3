"""Work-order API schemas."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from anju.core.schemas import InSchema, Schema
from anju.workorders.enums import (
    OrderAction,
    OrderKind,
    OrderSource,
    OrderStatus,
    Priority,
    SlaState,
)


class OrderCreate(InSchema):
    compound_id: int | None = Field(None, description="required for staff; residents' orders take their house's")
    kind: OrderKind
    category: str = Field("general", min_length=1, max_length=32, pattern=r"^[a-z_]+$")
    priority: Priority = Priority.normal
    title: str = Field(min_length=2, max_length=200)
    description: str = Field("", max_length=4000)
    house_id: int | None = None
    building_id: int | None = None
    location: str | None = Field(None, max_length=200)
    reporter_person_id: int | None = Field(None, description="staff taking a call: the caller, if a resident")


class OrderActionBody(InSchema):
    action: OrderAction
    note: str | None = Field(None, max_length=500)
    assignee_user_id: int | None = None
    rating: int | None = Field(None, ge=1, le=5)
    amount: Decimal | None = Field(None, ge=0, le=1_000_000, decimal_places=2)


class OrderRead(Schema):
    id: int
    compound_id: int
    kind: OrderKind
    category: str
    priority: Priority
    source: OrderSource
    title: str
    description: str
    location: str | None
    status: OrderStatus
    building_id: int | None
    house_id: int | None
    grid_id: int | None
    reporter_user_id: int | None
    assignee_user_id: int | None
    team_id: int | None
    alarm_id: int | None
    created_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    arrived_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    paused_at: datetime | None
    sla_state: SlaState
    response_met: bool | None
    resolution_met: bool | None
    escalation_level: int
    rating: int | None
    rating_comment: str | None
    follow_up_note: str | None
    quote_amount: Decimal | None
    quote_status: str | None


class TimelineRead(Schema):
    id: int
    action: str
    from_status: str | None
    to_status: str
    actor_user_id: int | None
    note: str | None
    at: datetime


class PhotoRead(Schema):
    id: int
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    uploaded_at: datetime


class OrderDetail(OrderRead):
    timeline: list[TimelineRead]
    photos: list[PhotoRead]


class OrderList(Schema):
    items: list[OrderRead]
    total: int
    page: int
    page_size: int


class SlaPolicyBody(InSchema):
    compound_id: int
    category: str = Field("*", min_length=1, max_length=32, pattern=r"^([a-z_]+|\*)$")
    priority: str = Field(pattern=r"^(emergency|urgent|normal|low|\*)$")
    response_minutes: int | None = Field(None, ge=1, le=60 * 24 * 60)
    resolution_minutes: int | None = Field(None, ge=1, le=60 * 24 * 120)
    calendar: str = Field("24x7", pattern=r"^(24x7|business)$")


class SlaPolicyRead(Schema):
    id: int
    compound_id: int
    category: str
    priority: str
    response_minutes: int | None
    resolution_minutes: int | None
    calendar: str


class CategoryFigures(Schema):
    category: str
    orders: int
    mtta_minutes: float | None  # created → accepted
    mttr_minutes: float | None  # created → completed, pauses excluded
    response_compliance: float | None  # % of decided arrival deadlines met
    resolution_compliance: float | None
    satisfaction: float | None  # mean rating 1–5
    rated: int


class Figures(Schema):
    compound_id: int
    since: datetime | None
    orders: int
    open_orders: int
    breached_open: int
    sla_compliance: float | None
    satisfaction: float | None
    by_category: list[CategoryFigures]
    patrol_completion: float | None  # % of scheduled rounds completed in their window
    grid_workers: list[dict[str, object]]  # workload and on-time rate per grid worker
