"""Patrol API schemas: routes with checkpoints, check-ins, handovers."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from anju.core.schemas import InSchema, Schema


class CheckpointBody(InSchema):
    name: str = Field(min_length=1, max_length=64)
    nfc_tag: str | None = Field(None, max_length=64)
    building_id: int | None = None
    key_point: bool = False
    max_interval_minutes: int | None = Field(None, ge=5, le=24 * 60)


class RouteBody(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    checkpoints: list[CheckpointBody] = Field(min_length=1, max_length=200)
    windows: list[tuple[int, int]] = Field(default_factory=list, description="(start minute after midnight, length)")


class CheckpointRead(Schema):
    id: int
    route_id: int
    name: str
    code: str
    nfc_tag: str | None
    key_point: bool
    max_interval_minutes: int | None


class RouteRead(Schema):
    id: int
    compound_id: int
    name: str
    active: bool


class ScanBody(InSchema):
    code: str | None = Field(None, max_length=64)
    nfc_tag: str | None = Field(None, max_length=64)
    # A check-in queued offline: when it was scanned, and the phone's id for it (a replay is recorded once).
    scanned_at: datetime | None = None
    client_id: str | None = Field(None, min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class CheckinRead(Schema):
    id: int
    checkpoint_id: int
    route_id: int
    method: str
    at: datetime
    synced_at: datetime | None = None


class HandoverBody(InSchema):
    compound_id: int
    to_user_id: int | None = None
    note: str = Field(min_length=2, max_length=1000)


class HandoverRead(Schema):
    id: int
