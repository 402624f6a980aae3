"""API schemas of the analytics domain: the command picture, hot spots, the district view and security reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from anju.core.schemas import InSchema, Schema, aware_time

PeriodKind = Literal["week", "month", "quarter", "year"]


class ReportCreate(InSchema):
    compound_id: int
    kind: PeriodKind
    day: date = Field(description="any China date inside the period; the period must be over")


class RectificationUpdate(InSchema):
    text: str = Field(min_length=1, max_length=4000, description="the rectification plan (整改计划)")


class ReportRead(Schema):
    id: int
    compound_id: int
    period_kind: str
    period_start: date
    period_end: date
    generated_at: datetime
    generated_by: str
    data: dict[str, Any]
    rectification: str | None
    rectification_at: datetime | None


class ReportSummary(Schema):
    id: int
    compound_id: int
    period_kind: str
    period_start: date
    period_end: date
    generated_at: datetime


class HotspotCell(Schema):
    place: str = Field(description='"b:<building id>", or "p:<source>" when the alarm named no building')
    hour_of_week: int = Field(description="0 = Monday 00:00-01:00 China time")
    score: float
    recent: int = Field(description="incidents in exactly this cell over the history used")


class Hotspots(Schema):
    compound_id: int
    incidents: int
    history_days: int
    half_life_days: float
    cells: list[HotspotCell]


class TrainingCreate(InSchema):
    compound_id: int
    kind: Literal["training", "exam"]
    title: str = Field(min_length=1, max_length=128)
    held_on: date = Field(description="China date; not in the future")
    hours: float | None = Field(None, gt=0, le=24)
    pass_score: int | None = Field(None, ge=0, le=100, description="exams only: the pass mark out of 100")


class TrainingRead(Schema):
    id: int
    compound_id: int
    kind: str
    title: str
    held_on: date
    hours: float | None
    pass_score: int | None


class TrainingRecordIn(InSchema):
    user_id: int
    attended: bool
    score: int | None = Field(None, ge=0, le=100, description="exams only")


class TrainingRecordsUpdate(InSchema):
    records: list[TrainingRecordIn] = Field(min_length=1, max_length=500)


class TrainingRecordRead(Schema):
    user_id: int
    attended: bool
    score: int | None


class ShiftCreate(InSchema):
    compound_id: int
    user_id: int
    starts_at: datetime = Field(description="with its UTC offset")
    ends_at: datetime

    _t = field_validator("starts_at", "ends_at")(aware_time)


class ShiftMark(InSchema):
    status: Literal["planned", "attended", "absent"]


class ShiftRead(Schema):
    id: int
    compound_id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime
    status: str


KeyPositionKind = Literal[
    "gate", "lift_lobby", "perimeter", "bike_garage", "fire_lane", "garage", "plant_room", "other"
]


class KeyPositionCreate(InSchema):
    compound_id: int
    kind: KeyPositionKind
    name: str = Field(min_length=1, max_length=64)
    building_id: int | None = None
    plan_x: int | None = Field(None, ge=0, le=100000)
    plan_y: int | None = Field(None, ge=0, le=100000)
    camera_device_ids: list[int] = Field(default_factory=list, max_length=50, description="device ids of cameras")


class KeyPositionCameras(InSchema):
    camera_device_ids: list[int] = Field(max_length=50, description="device ids of cameras; empty: none")


class KeyPositionRead(Schema):
    id: int
    kind: str
    name: str
    building_id: int | None
    plan_x: int | None
    plan_y: int | None
    cameras: list[int]  # assigned
    online: list[int]  # assigned and online
    in_view: list[int]  # online cameras whose field of view holds the position's plan point
    covered: bool
