"""Privacy request and response shapes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from anju.core.schemas import InSchema, Schema


class RequestKind(StrEnum):
    access = "access"
    correct = "correct"
    delete = "delete"
    withdraw = "withdraw"
    close = "close"
    explain = "explain"
    delete_face = "delete_face"  # face templates and images only (R-F5, R-F6)


class RequestGround(StrEnum):
    """Why the person asks, where the law gives the ground weight."""

    face_terms_breached = "face_terms_breached"  # R-F6 / SPC 人脸 第12条: the company broke its face-data terms
    consent_withdrawn = "consent_withdrawn"
    purpose_fulfilled = "purpose_fulfilled"
    other = "other"


class PrivacyRequestCreate(InSchema):
    kind: RequestKind
    detail: str | None = Field(default=None, max_length=2000)
    ground: RequestGround | None = None


class PrivacyRequestResolve(InSchema):
    status: str = Field(pattern="^(done|refused)$")
    resolution: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _refusal_has_reason(self) -> PrivacyRequestResolve:
        if self.status == "refused" and not (self.resolution and self.resolution.strip()):
            raise ValueError("a refusal must record its reason / 拒绝须说明理由")
        return self


class PrivacyRequestRead(Schema):
    id: int
    compound_id: int
    person_id: int
    kind: str
    detail: str | None
    status: str
    due_on: date
    created_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    ground: str | None = None
    overdue: bool = False


class ProcessingRecordRead(Schema):
    field: str
    category: str
    purpose: str
    legal_basis: str
    sensitivity: str
    retention: str
    retention_days: int | None
    needs_separate_consent: bool


class MyData(Schema):
    person: dict[str, Any]
    occupancies: list[dict[str, Any]]
    vehicles: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    privacy_requests: list[dict[str, Any]]
    exported_at: datetime


class PiiAccessRead(Schema):
    id: int
    at: datetime
    user_id: int | None
    compound_id: int | None
    subject: str
    field: str
    reason: str


class ObjectChangeRead(Schema):
    id: int
    at: datetime
    user_id: int | None
    compound_id: int | None
    entity: str
    entity_id: int
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class MinorAccessCreate(InSchema):
    person_id: int
    reason: str = Field(min_length=2, max_length=200)


class MinorAccessDecide(InSchema):
    approve: bool
    note: str | None = Field(default=None, max_length=200)


class MinorAccessRead(Schema):
    id: int
    compound_id: int
    person_id: int
    requested_by: int
    reason: str
    requested_at: datetime
    status: str
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None
    expires_at: datetime | None


# Dates a person enters stay well inside the calendar, so deadlines can be added without overflow.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2199, 12, 31)


def _day(v: date) -> date:
    if not (EARLIEST_DAY <= v <= LATEST_DAY):
        raise ValueError("a date between 2000 and 2199 / 日期须在2000年至2199年之间")
    return v


# --- R-P7 breach workflow ----------------------------------------------------------------------------
def _text(min_length: int = 2, max_length: int = 5000) -> Any:
    return Field(min_length=min_length, max_length=max_length)


class BreachCreate(InSchema):
    compound_id: int
    title: str = _text(2, 200)
    discovered_at: datetime
    data_types: list[str] = Field(min_length=1, max_length=30)
    cause: str = _text()
    possible_harm: str = _text()
    remedies: str = _text()
    advice: str = _text()  # what individuals can do to reduce the harm
    contacts: str = _text(2, 500)
    affected_people: list[int] = Field(default_factory=list, max_length=100_000)
    affected_count: int | None = Field(default=None, ge=0, le=2_000_000_000)

    @field_validator("discovered_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError("give a time zone (e.g. +08:00) / 请带时区")
        try:
            at = v.astimezone(UTC)
        except (OverflowError, ValueError):
            at = None
        if at is None or not (datetime(2000, 1, 1, tzinfo=UTC) <= at <= datetime.now(UTC) + timedelta(minutes=5)):
            raise ValueError("the discovery time is not in the past / 发现时间须为已发生的时间")
        return v

    @field_validator("data_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        cleaned = [t.strip() for t in v if t and t.strip()]
        if not cleaned or any(len(t) > 64 for t in cleaned):
            raise ValueError("name each data type (at most 64 characters) / 请列明信息种类")
        return cleaned


class BreachRegulatorIn(InSchema):
    reference: str | None = Field(default=None, max_length=64)


class BreachWaiverIn(InSchema):
    reason: str = _text(10, 2000)


class BreachRead(Schema):
    id: int
    compound_id: int
    title: str
    discovered_at: datetime
    data_types: list[str]
    cause: str
    possible_harm: str
    remedies: str
    advice: str
    contacts: str
    affected_count: int
    state: str
    regulator_due_at: datetime
    individuals_due_at: datetime
    regulator_notice: str | None
    regulator_notified_at: datetime | None
    regulator_ref: str | None
    individual_notice: str | None
    individuals_notified_at: datetime | None
    waiver_reason: str | None
    overdue_flagged_at: datetime | None
    closed_at: datetime | None


# --- R-P8 third parties and processor agreements -----------------------------------------------------
class ThirdPartyCreate(InSchema):
    compound_id: int
    name: str = _text(2, 128)
    kind: str = Field(pattern="^(merchant|insurer|other)$")
    contact: str = _text(2, 200)


class ThirdPartyRead(Schema):
    id: int
    compound_id: int
    name: str
    kind: str
    contact: str
    active: bool


class SharingConsentCreate(InSchema):
    person_id: int
    recipient_id: int
    purpose: str = _text(2, 200)
    data_types: list[str] = Field(min_length=1, max_length=30)
    notice_version: str = _text(1, 32)


class SharingConsentRead(Schema):
    id: int
    person_id: int
    recipient_id: int
    purpose: str
    data_types: list[str]
    notice_version: str
    given_by: str
    given_at: datetime
    withdrawn_at: datetime | None


class ShareCreate(InSchema):
    person_id: int
    recipient_id: int
    purpose: str = _text(2, 200)
    data_types: list[str] = Field(min_length=1, max_length=30)


class SharingRecordRead(Schema):
    id: int
    person_id: int
    recipient_id: int
    consent_id: int
    purpose: str
    data_types: list[str]
    shared_at: datetime


class VendorContractCreate(InSchema):
    compound_id: int
    vendor: str = _text(2, 128)
    purpose: str = _text(2, 200)
    data_types: list[str] = Field(min_length=1, max_length=30)
    starts_on: date
    ends_on: date
    at_end: str = Field(pattern="^(return|delete)$")  # what the vendor must do with the data at the end
    disposal_days: int = Field(default=30, ge=1, le=365)

    @field_validator("starts_on", "ends_on")
    @classmethod
    def _in_calendar(cls, v: date) -> date:
        return _day(v)


class VendorContractEnd(InSchema):
    on: date

    @field_validator("on")
    @classmethod
    def _in_calendar(cls, v: date) -> date:
        return _day(v)


class VendorDisposal(InSchema):
    method: str = Field(pattern="^(returned|deleted)$")
    on: date
    evidence: str = _text(2, 2000)

    @field_validator("on")
    @classmethod
    def _in_calendar(cls, v: date) -> date:
        return _day(v)


class VendorContractRead(Schema):
    id: int
    compound_id: int
    vendor: str
    purpose: str
    data_types: list[str]
    starts_on: date
    ends_on: date
    at_end: str
    disposal_days: int
    status: str
    ended_on: date | None
    disposal_due_on: date | None
    disposal_overdue: bool
    disposed_on: date | None
    disposal_method: str | None
    disposal_evidence: str | None


# --- R-F4 face cloud sync ------------------------------------------------------------------------------
class FaceCloudConsentIn(InSchema):
    person_id: int
    notice_version: str = _text(1, 32)
    guardian: bool = False


class FaceCloudConsentRead(Schema):
    person_id: int
    may_sync_off_edge: bool


# --- R-P10 compliance audit --------------------------------------------------------------------------
class ComplianceAuditCreate(InSchema):
    performed_on: date
    auditor: str = _text(2, 128)
    report_ref: str = _text(1, 128)

    @field_validator("performed_on")
    @classmethod
    def _in_calendar(cls, v: date) -> date:
        return _day(v)


class ChecklistTick(InSchema):
    item: str = Field(min_length=1, max_length=32)
    done_on: date

    @field_validator("done_on")
    @classmethod
    def _in_calendar(cls, v: date) -> date:
        return _day(v)
