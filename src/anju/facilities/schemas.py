"""Facilities API schemas: equipment, the due list, inspections with signatures, the fire-duty roster."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from anju.core.schemas import InSchema, Schema


class EquipmentBody(InSchema):
    compound_id: int = Field(ge=1, le=2**31 - 1)
    kind: str = Field(pattern=r"^(lift|pump|extinguisher|hydrant|fire_panel|camera)$")
    name: str = Field(min_length=1, max_length=64)
    building_id: int | None = Field(None, ge=1, le=2**31 - 1)
    location: str | None = Field(None, max_length=128)
    extinguisher_type: str | None = Field(None, pattern=r"^(water|powder|clean_agent|co2)$")
    manufactured_on: date | None = None
    crowded_location: bool = False
    certificate_expires_on: date | None = None


class EquipmentRead(Schema):
    id: int
    compound_id: int
    kind: str
    name: str
    building_id: int | None
    extinguisher_type: str | None
    manufactured_on: date | None


class DueRead(Schema):
    plan_id: int
    kind: str
    label: str
    equipment: str | None
    due_on: date
    overdue: bool
    open_order_id: int | None


class ChecklistItem(InSchema):
    item: str = Field(min_length=1, max_length=120)
    ok: bool
    note: str | None = Field(None, max_length=300)


class InspectionBody(InSchema):
    items: list[ChecklistItem] = Field(min_length=1, max_length=100)
    supervisor_name: str | None = Field(None, max_length=64)


class SignatureRead(Schema):
    role: str  # inspector | supervisor
    user_id: int
    name: str
    signed_at: datetime
    note: str | None = None


class InspectionRead(Schema):
    id: int
    plan_id: int
    failed: int
    order_ids: list[int]
    signatures: list[SignatureRead] = Field(default_factory=list)
    complete: bool = False  # R-S4: a fire check needs the supervisor's sign-off too


class SignOffBody(InSchema):
    note: str | None = Field(None, max_length=200)


class ShiftBody(InSchema):
    starts_at: datetime
    ends_at: datetime
    staff: list[str] = Field(max_length=20)


class RosterBody(InSchema):
    compound_id: int = Field(ge=1, le=2**31 - 1)
    starts_at: datetime  # the range this roster replaces: shifts starting in [starts_at, ends_at)
    ends_at: datetime
    shifts: list[ShiftBody] = Field(max_length=500)


class ShiftRead(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    staff: list[str]


class GapRead(Schema):
    kind: str
    starts_at: datetime
    ends_at: datetime
    on_duty: int


class RosterRead(Schema):
    compound_id: int
    shifts: list[ShiftRead]
    gaps: list[GapRead]  # PUT: the gaps the roster leaves in its range; GET: the open flagged gaps
