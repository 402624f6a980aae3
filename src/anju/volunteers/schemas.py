"""Volunteer API schemas."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, field_validator, model_validator

from anju.core.schemas import InSchema, Schema, aware_time
from anju.volunteers.enums import ActivityKind, CommitteeRole, EducationAudience


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


# --- the residents' safety committee -------------------------------------------------------------------------
class MemberIn(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=32)
    role: CommitteeRole = CommitteeRole.member
    joined_on: date | None = None


class MemberRead(Schema):
    id: int
    compound_id: int
    name: str
    role: str
    joined_on: date
    left_on: date | None


class MeetingIn(InSchema):
    compound_id: int
    title: str = Field(min_length=2, max_length=64)
    held_at: datetime
    place: str = Field("", max_length=64)
    attendee_ids: list[int] = Field(default_factory=list, max_length=50)
    minutes: str = Field("", max_length=10_000)
    decisions: list[str] = Field(default_factory=list, max_length=20)

    _aware = field_validator("held_at")(aware_time)


class DecisionRead(Schema):
    id: int
    meeting_id: int
    text: str
    notice_id: int | None
    published_at: datetime | None


class MeetingRead(Schema):
    id: int
    compound_id: int
    title: str
    held_at: datetime
    place: str
    attendee_ids: list[int]
    minutes: str
    decisions: list[DecisionRead] = Field(default_factory=list)


# --- safety education ----------------------------------------------------------------------------------------
class QuizQuestionIn(InSchema):
    q: str = Field(min_length=2, max_length=200)
    options: list[str] = Field(min_length=2, max_length=6)
    answer: int = Field(ge=0, le=5)

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> QuizQuestionIn:
        if self.answer >= len(self.options) or not all(o.strip() for o in self.options):
            raise ValueError("the answer must be one of the options, and no option may be empty")
        return self


class CampaignIn(InSchema):
    compound_id: int
    audience: EducationAudience
    building_id: int | None = None
    title: str = Field(min_length=2, max_length=64)
    body: str = Field(min_length=2, max_length=10_000)
    image_url: str = Field("", max_length=255, pattern=r"^(https?://\S+|/\S*)?$")
    video_url: str = Field("", max_length=255, pattern=r"^(https?://\S+)?$")
    quiz: list[QuizQuestionIn] = Field(default_factory=list, max_length=10)


class QuizAnswersIn(InSchema):
    answers: list[int] = Field(max_length=10)


class CampaignRead(Schema):
    id: int
    compound_id: int
    audience: str
    building_id: int | None
    title: str
    body: str
    image_url: str
    video_url: str
    audience_size: int
    published_at: datetime


class EventIn(InSchema):
    """A safety-education event; times with their offset (pages send China wall-clock times)."""

    compound_id: int
    audience: EducationAudience
    building_id: int | None = None
    title: str = Field(min_length=2, max_length=64)
    body: str = Field("", max_length=2000)
    place: str = Field(min_length=1, max_length=64)
    starts_at: datetime
    ends_at: datetime
    booking_deadline: datetime | None = None  # the start when not given
    capacity: int = Field(ge=1, le=1000)

    _aware = field_validator("starts_at", "ends_at", "booking_deadline")(aware_time)
    # The window's rules (end after start, at most a day, booking closing by the start) are the service's, with
    # their reasons in both languages.


class EventRead(Schema):
    id: int
    compound_id: int
    audience: str
    building_id: int | None
    title: str
    body: str
    place: str
    starts_at: datetime
    ends_at: datetime
    booking_deadline: datetime
    capacity: int
    booked: int


class BookingRead(Schema):
    id: int
    event_id: int
    person_id: int
    status: str
    code: str
    booked_at: datetime
    cancelled_at: datetime | None
    checked_in_at: datetime | None


class CheckInIn(InSchema):
    code: str = Field(min_length=4, max_length=8)
