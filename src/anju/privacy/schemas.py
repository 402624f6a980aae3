"""Privacy request and response shapes."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from anju.core.schemas import InSchema, Schema


class RequestKind(StrEnum):
    access = "access"
    correct = "correct"
    delete = "delete"
    withdraw = "withdraw"
    close = "close"
    explain = "explain"


class PrivacyRequestCreate(InSchema):
    kind: RequestKind
    detail: str | None = Field(default=None, max_length=2000)


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
