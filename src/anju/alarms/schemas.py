"""Alarm API schemas. There is deliberately no AlarmUpdate: alarm facts are immutable (R-A8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from anju.alarms.enums import AlarmOutcome, AlarmSeverity, AlarmStatus
from anju.core.schemas import InSchema, Schema


class AlarmRead(Schema):
    id: int
    compound_id: int
    kind: str
    severity: AlarmSeverity
    source: str
    title: str
    status: AlarmStatus
    building_id: int | None
    unit_id: int | None
    floor: int | None
    house_id: int | None
    person_id: int | None
    device_id: int | None
    evidence: dict[str, Any]
    raised_by: str
    occurred_at: datetime
    created_at: datetime
    last_seen_at: datetime
    occurrences: int
    cleared_by_device: bool
    cleared_at: datetime | None
    acknowledged_by: int | None
    acknowledged_at: datetime | None
    dispatched_to: int | None
    dispatched_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    outcome: str | None = None
    previous_alarm_id: int | None = None


class AlarmTransitionRead(Schema):
    id: int
    action: str
    from_status: str | None
    to_status: str
    actor_user_id: int | None
    reason: str | None
    reason_key: str | None = None
    reason_params: dict[str, Any] | None = None
    at: datetime


class EscalationRead(Schema):
    step: int
    target: dict[str, Any]
    due_at: datetime
    status: str
    fired_at: datetime | None


class AlarmDetail(AlarmRead):
    history: list[AlarmTransitionRead]
    escalations: list[EscalationRead]


class AlarmList(Schema):
    items: list[AlarmRead]
    total: int
    page: int
    page_size: int


class AlarmActionBody(InSchema):
    reason: str | None = Field(None, max_length=500)


class AlarmReasonBody(InSchema):
    reason: str = Field(min_length=1, max_length=500)


class AlarmResolveBody(InSchema):
    reason: str = Field(min_length=1, max_length=500)  # the disposal note (处置说明)
    outcome: AlarmOutcome = AlarmOutcome.handled


class AlarmDispatchBody(InSchema):
    user_id: int = Field(ge=1, le=2**31 - 1)
    reason: str | None = Field(None, max_length=500)


class AlarmCreate(InSchema):
    """A manual alarm (a guard reports a fire by phone) — goes through the same raise path."""

    compound_id: int = Field(ge=1, le=2**31 - 1)
    kind: str = Field(min_length=1, max_length=32)
    severity: AlarmSeverity
    title: str = Field(min_length=1, max_length=255)
    building_id: int | None = Field(None, ge=1, le=2**31 - 1)
    unit_id: int | None = Field(None, ge=1, le=2**31 - 1)
    floor: int | None = Field(None, ge=-10, le=200)
    house_id: int | None = Field(None, ge=1, le=2**31 - 1)


class AlarmCount(Schema):
    compound_id: int
    kind: str
    severity: str
    status: str
    count: int
