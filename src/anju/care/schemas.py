"""Care API schemas."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import Field, field_validator, model_validator

from anju.care.enums import (
    Answerer,
    Channel,
    ConsentScope,
    ConsentVariant,
    Disability,
    LadderRung,
    VisitKind,
    VisitOutcome,
)
from anju.core.schemas import InSchema, Schema, aware_time
from anju.registry.schemas import validate_phone


class ContactIn(InSchema):
    name: str = Field(min_length=1, max_length=64)
    relation: str = Field(min_length=1, max_length=32)
    phone: str | None = None
    guardian: bool = False
    _v_phone = field_validator("phone")(validate_phone)


class SilenceRule(InSchema):
    """The silence rule: hours without activity, and the night window (China time, "HH:MM") with no alarm."""

    silence_hours: int = Field(default=24, ge=1, le=24 * 14)
    quiet_start: str = Field(default="22:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str = Field(default="07:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # the deadline rule: "not up by 09:30" (China time) also raises the alarm; None: only the hours
    deadline: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class ProfileCreate(SilenceRule):
    compound_id: int
    person_id: int
    living_alone: bool = False
    special_hardship: bool = False
    disability: Disability = Disability.none
    channel: Channel | None = None  # None: by disability (voice for visual, vibration for hearing), else SMS
    health_notes: str | None = Field(default=None, max_length=2000)
    visitor_user_id: int | None = None
    contacts: list[ContactIn] = Field(default_factory=list, max_length=8)

    @model_validator(mode="after")
    def _some_reason(self) -> ProfileCreate:
        if not (self.living_alone or self.special_hardship or self.disability != Disability.none):
            raise ValueError("a care profile needs a reason: living alone, special hardship or a disability")
        return self


class ProfileUpdate(InSchema):
    living_alone: bool | None = None
    special_hardship: bool | None = None
    disability: Disability | None = None
    channel: Channel | None = None
    health_notes: str | None = Field(default=None, max_length=2000)
    silence_hours: int | None = Field(default=None, ge=1, le=24 * 14)
    quiet_start: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    deadline: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # null clears it
    visitor_user_id: int | None = None
    active: bool | None = None


class ContactRead(Schema):
    position: int
    name: str
    relation: str
    phone_masked: str | None
    guardian: bool


class ConsentRead(Schema):
    id: int
    scope: ConsentScope
    given_by: str
    variant: ConsentVariant
    given_at: datetime
    withdrawn_at: datetime | None


class ProfileRead(Schema):
    id: int
    compound_id: int
    person_id: int
    person_name: str
    house_id: int | None
    house_label: str | None
    living_alone: bool
    special_hardship: bool
    disability: Disability
    channel: Channel
    silence_hours: int
    quiet_start: str
    quiet_end: str
    deadline: str | None = None
    last_activity_at: datetime | None
    last_activity_source: str | None
    visitor_user_id: int | None
    active: bool
    away_from: datetime | None
    away_until: datetime | None
    contacts: list[ContactRead]
    consents: list[str]  # scopes with a consent in force
    health_notes: str | None  # only with the health consent in force (R-E2), read audited


class ConsentCreate(InSchema):
    scope: ConsentScope
    given_by: str = Field(default="self", pattern="^(self|guardian)$")
    variant: ConsentVariant = ConsentVariant.standard


class AwayCreate(InSchema):
    """外出报备 by the person, family or a grid worker: no silence alarm from `starts_at` until `ends_at`."""

    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _order(self) -> AwayCreate:
        for t in (self.starts_at, self.ends_at):
            aware_time(t)
        if self.ends_at <= self.starts_at:
            raise ValueError("the away registration must end after it starts")
        if self.ends_at - self.starts_at > timedelta(days=180):
            raise ValueError("an away registration lasts at most 180 days")
        return self


class ConsentWithdraw(InSchema):
    scope: ConsentScope


class VisitRead(Schema):
    id: int
    profile_id: int
    kind: VisitKind
    due_on: date
    due_at: datetime | None
    assigned_user_id: int | None
    status: str
    outcome: VisitOutcome | None
    note: str | None
    visited_at: datetime | None
    episode_id: int | None = None
    order_id: int | None = None  # an alarm visit's work order


class VisitRecord(InSchema):
    outcome: VisitOutcome
    note: str | None = Field(default=None, max_length=2000)


class ContactCreate(InSchema):
    """A visit or phone contact recorded without a plan (counts for R-E1)."""

    kind: VisitKind = VisitKind.monthly
    outcome: VisitOutcome
    note: str | None = Field(default=None, max_length=2000)


class MissedMonth(Schema):
    profile_id: int
    person_name: str
    month: str  # "2026-11"


class EpisodeAnswer(InSchema):
    """How the person is, as someone on the ladder said it; "fine" (or "away") stops the ladder."""

    by: Answerer
    outcome: VisitOutcome = VisitOutcome.fine
    note: str | None = Field(default=None, max_length=2000)


class LadderStepRead(Schema):
    rung: int
    kind: LadderRung
    due_at: datetime
    status: str
    fired_at: datetime | None


class EpisodeRead(Schema):
    id: int
    profile_id: int
    since: datetime
    raised_at: datetime
    silent_hours: int
    consent_missing: bool
    answered_by: Answerer | None
    outcome: VisitOutcome | None
    closed_at: datetime | None
    steps: list[LadderStepRead]
