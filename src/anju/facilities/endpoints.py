"""Facilities API: equipment with statutory plans, the due list, inspections with checklists."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import Field

from anju.core.auth import requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound
from anju.core.rbac import Perm
from anju.core.schemas import InSchema, Schema
from anju.facilities import service

router = APIRouter(prefix="/facilities", tags=["facilities"])
FacilityReader = requires(Perm.facilities_read)
FacilityManager = requires(Perm.facilities_manage)


class EquipmentBody(InSchema):
    compound_id: int
    kind: str = Field(pattern=r"^(lift|pump|extinguisher|hydrant|fire_panel|camera)$")
    name: str = Field(min_length=1, max_length=64)
    building_id: int | None = None
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


class InspectionRead(Schema):
    id: int
    plan_id: int
    failed: int
    order_ids: list[int]


@router.post("/equipment", response_model=EquipmentRead, status_code=201, operation_id="facilities-add")
def add_equipment(body: EquipmentBody, who: FacilityManager, session: WriteSession) -> Any:
    """Register equipment; its maintenance plans follow the rules (R-W2, R-S4–R-S6)."""
    return service.register(session, by=who, compound_id=body.compound_id, kind=body.kind, name=body.name,
                            building_id=body.building_id, location=body.location,
                            extinguisher_type=body.extinguisher_type, manufactured_on=body.manufactured_on,
                            crowded=body.crowded_location, certificate_expires_on=body.certificate_expires_on)


@router.get("/due", response_model=list[DueRead], operation_id="facilities-due")
def due(who: FacilityReader, session: ReadSession, compound_id: int, within_days: int = 30) -> list[DueRead]:
    """Plans due within N days, overdue ones flagged."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    rows = service.due_list(session, compound_id=compound_id, today=date.today(),
                            within_days=max(0, min(within_days, 3650)))
    return [DueRead(plan_id=r["plan"].id, kind=r["plan"].kind, label=r["label"], due_on=r["plan"].due_on,
                    equipment=r["equipment"].name if r["equipment"] else None, overdue=r["overdue"],
                    open_order_id=r["plan"].open_order_id) for r in rows]


@router.post("/plans/{plan_id}/inspections", response_model=InspectionRead, status_code=201,
             operation_id="facilities-inspect")
def inspect(plan_id: int, body: InspectionBody, who: FacilityManager, session: WriteSession) -> Any:
    """Record a checklist; failed items open work orders, the plan moves to its next due date."""
    return service.inspect(session, by=who, plan_id=plan_id, items=[i.model_dump() for i in body.items],
                           supervisor_name=body.supervisor_name)
