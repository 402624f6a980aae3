"""Device API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from anju.core.schemas import InSchema, Schema
from anju.core.text import encodable, encodable_json
from anju.devices.enums import CommandName, CommandStatus, DeviceStatus, DeviceType

# What devices sent is shown as stored, but always encodable: rows stored before intake refused
# unpaired surrogates must not turn a whole list into a 500 (issue 20 item 9).
DeviceJSON = Annotated[dict[str, Any], AfterValidator(encodable_json)]
DeviceText = Annotated[str, AfterValidator(encodable)]


class DeviceCreate(InSchema):
    compound_id: int = Field(ge=1, le=2**31 - 1)
    device_key: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")  # a topic segment
    name: str = Field(min_length=1, max_length=64)
    device_type: DeviceType
    vendor: str | None = Field(None, max_length=64)
    model: str | None = Field(None, max_length=64)
    building_id: int | None = Field(None, ge=1, le=2**31 - 1)
    unit_id: int | None = Field(None, ge=1, le=2**31 - 1)
    floor: int | None = Field(None, ge=-10, le=200)
    house_id: int | None = Field(None, ge=1, le=2**31 - 1)
    location: str | None = Field(None, max_length=128)
    plan_x: int | None = Field(None, ge=-100_000, le=100_000)
    plan_y: int | None = Field(None, ge=-100_000, le=100_000)
    heartbeat_seconds: int = Field(60, ge=5, le=86400)
    capabilities: dict[str, Any] = Field(default_factory=dict)


class DeviceRead(Schema):
    id: int
    compound_id: int
    device_key: str
    name: str
    device_type: DeviceType
    vendor: str | None
    model: str | None
    building_id: int | None
    unit_id: int | None
    floor: int | None
    house_id: int | None
    location: str | None
    plan_x: int | None
    plan_y: int | None
    heartbeat_seconds: int
    capabilities: dict[str, Any]
    active: bool
    status: DeviceStatus = DeviceStatus.unknown
    last_seen_at: datetime | None = None
    values: DeviceJSON = Field(default_factory=dict)


class DeviceCreated(DeviceRead):
    secret: str  # shown once; stored only encrypted


class DeviceList(Schema):
    items: list[DeviceRead]
    total: int
    page: int
    page_size: int


class IngestItemError(Schema):
    index: int
    reason: str
    detail: str | None = None


class IngestResult(Schema):
    accepted: int
    inserted: int
    duplicates: int
    rejected: list[IngestItemError]


class CommandCreate(InSchema):
    command: CommandName
    params: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = Field(None, max_length=255)


class CommandRead(Schema):
    id: int
    device_id: int
    correlation_id: str
    command: CommandName
    params: dict[str, Any]
    status: CommandStatus
    requested_by: int | None
    reason: str | None
    created_at: datetime
    sent_at: datetime | None
    acked_at: datetime | None
    expires_at: datetime
    result: DeviceJSON | None


class RuleSetWrite(InSchema):
    rules: list[dict[str, Any]] = Field(max_length=50)


class GatewaySessionRead(Schema):
    """A gateway's broker session: `losses` counts connects where the broker had lost it (issue 20 item 12)."""

    client_id: str
    broker: str
    first_connected_at: datetime
    seen_at: datetime
    losses: int
    last_loss_at: datetime | None


class DeadLetterRead(Schema):
    id: int
    received_at: datetime
    transport: str
    topic: DeviceText | None
    device_key: DeviceText | None
    reason: str
    detail: DeviceText | None
    size: int
