"""Decoration API schemas."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import Field, field_validator, model_validator

from anju.core.schemas import InSchema, Schema
from anju.decoration.enums import DecorationStatus, DepositStatus, InspectionKind


def _wall_clock(value: time | None) -> time | None:
    """Daily hours are China wall-clock times: an offset ("08:00Z") is refused, not compared (a 500 before)."""
    if value is not None and value.tzinfo is not None:
        raise ValueError("a time of day without an offset, e.g. 08:00")
    return value


class WorkerIn(InSchema):
    name: str = Field(min_length=1, max_length=32)
    phone: str | None = Field(None, pattern=r"^1[0-9]{10}$")


class DecorationCreate(InSchema):
    house_id: int
    start_date: date
    end_date: date
    scope: str = Field(min_length=2, max_length=2000)
    touches_load_bearing: bool = False
    owner_consent: bool = False
    contractor: str = Field(min_length=2, max_length=64)
    contractor_phone: str | None = Field(None, pattern=r"^1[0-9]{10}$")
    workers: list[WorkerIn] = Field(min_length=1, max_length=20)
    daily_from: time = time(8, 0)
    daily_until: time = time(18, 0)
    deposit_fen: int = Field(0, ge=0, le=100_000_00)

    _hours = field_validator("daily_from", "daily_until")(_wall_clock)

    @model_validator(mode="after")
    def _dates(self) -> DecorationCreate:
        if self.end_date < self.start_date:
            raise ValueError("the work ends before it starts")
        if (self.end_date - self.start_date).days > 365:
            raise ValueError("a decoration lasts at most a year")
        if self.daily_until <= self.daily_from:
            raise ValueError("daily hours must end after they start")
        return self


class DecorationApprove(InSchema):
    conditions: list[str] = Field(default_factory=list, max_length=20)
    daily_from: time | None = None  # narrower hours than asked for (noise rules)
    daily_until: time | None = None

    _hours = field_validator("daily_from", "daily_until")(_wall_clock)


class DecorationReject(InSchema):
    reason: str = Field(min_length=2, max_length=255)


class DeductionIn(InSchema):
    amount_fen: int = Field(gt=0, le=100_000_00)
    reason: str = Field(min_length=2, max_length=255)


class InspectionCreate(InSchema):
    kind: InspectionKind
    passed: bool
    note: str = Field("", max_length=500)
    # Only with a passed final inspection: what is kept from the deposit, each with its reason.
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=10)


class WorkerRead(Schema):
    id: int
    name: str
    phone_masked: str | None
    visitor_pass_id: int | None


class InspectionRead(Schema):
    id: int
    kind: InspectionKind
    passed: bool
    note: str
    work_order_id: int | None
    at: datetime


class DecorationRead(Schema):
    id: int
    compound_id: int
    house_id: int
    start_date: date
    end_date: date
    scope: str
    contractor: str
    contractor_phone_masked: str | None
    daily_from: str  # "08:00", China wall-clock (a JSON "time" would need an offset)
    daily_until: str
    deposit_fen: int
    deposit_status: DepositStatus
    deposit_deductions: list[dict[str, object]] = []
    deposit_deducted_fen: int = 0
    deposit_refunded_fen: int = 0
    status: DecorationStatus
    conditions: list[str]
    reject_reason: str | None
    decided_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    workers: list[WorkerRead] = []
    inspections: list[InspectionRead] = []

    @field_validator("daily_from", "daily_until", mode="before")
    @classmethod
    def _hhmm(cls, value: object) -> object:
        return value.strftime("%H:%M") if isinstance(value, time) else value
