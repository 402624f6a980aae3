"""Volunteer API schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator, model_validator

from anju.core.schemas import InSchema, Schema, aware_time
from anju.volunteers.enums import ActivityKind


class VolunteerIn(InSchema):
    compound_id: int
    display_name: str = Field(min_length=1, max_length=32)
    skills: list[str] = Field(default_factory=list, max_length=10)
    availability: str = Field("", max_length=128)


class ActivityIn(InSchema):
    compound_id: int
    kind: ActivityKind = ActivityKind.patrol
    title: str = Field(min_length=2, max_length=64)
    place: str = Field("", max_length=64)
    starts_at: datetime
    ends_at: datetime
    capacity: int = Field(ge=1, le=500)
    points_per_hour: int = Field(10, ge=0, le=100)

    _aware = field_validator("starts_at", "ends_at")(aware_time)

    @model_validator(mode="after")
    def _window(self) -> ActivityIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("an activity ends after it starts")
        if (self.ends_at - self.starts_at).total_seconds() > 24 * 3600:
            raise ValueError("an activity lasts at most a day")
        return self


class RewardIn(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    cost_points: int = Field(ge=1, le=100_000)
    stock: int = Field(ge=0, le=100_000)


class VolunteerRead(Schema):
    id: int
    compound_id: int
    display_name: str
    skills: list[str]
    availability: str
    points: int
    minutes_served: int


class ActivityRead(Schema):
    id: int
    compound_id: int
    kind: str
    title: str
    place: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    signed_up: int
    points_per_hour: int


class SignupRead(Schema):
    id: int
    activity_id: int
    volunteer_id: int
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    minutes: int
    points: int


class PointsRead(Schema):
    id: int
    kind: str
    amount: int
    reason: str
    created_at: datetime
