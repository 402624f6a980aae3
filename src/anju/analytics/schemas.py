"""API schemas of the analytics domain: the command picture, hot spots, the district view and security reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from anju.core.schemas import InSchema, Schema

PeriodKind = Literal["week", "month", "quarter"]


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
