"""Facilities API: equipment with statutory plans, the due list, inspections with checklists."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter

from anju.core.auth import Principal, requires
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import NotFound
from anju.core.kit.china_time import china_date
from anju.facilities import fire_duty, service
from anju.facilities.exceptions import SignOffConflict
from anju.facilities.permissions import FacilitiesPerm
from anju.facilities.schemas import (
    DueRead,
    EquipmentBody,
    EquipmentRead,
    GapRead,
    InspectionBody,
    InspectionRead,
    RosterBody,
    RosterRead,
    ShiftRead,
    SignatureRead,
    SignOffBody,
)

router = APIRouter(prefix="/facilities", tags=["facilities"])
FacilityReader = Annotated[Principal, requires(FacilitiesPerm.read)]
FacilityManager = Annotated[Principal, requires(FacilitiesPerm.manage)]


def _inspection(session: ReadSession, row: Any) -> InspectionRead:
    sigs = service.signatures(session, [row.id]).get(row.id, {})
    return InspectionRead(
        id=row.id,
        plan_id=row.plan_id,
        failed=row.failed,
        order_ids=row.order_ids,
        signatures=[SignatureRead.model_validate(sigs[r]) for r in ("inspector", "supervisor") if r in sigs],
        complete=service.is_complete(session, row),
    )


@router.post("/equipment", response_model=EquipmentRead, status_code=201)
def add_equipment(body: EquipmentBody, who: FacilityManager, session: WriteSession) -> Any:
    """Register equipment; its maintenance plans follow the rules (R-W2, R-S4–R-S6)."""
    return service.register(
        session,
        by=who,
        compound_id=body.compound_id,
        kind=body.kind,
        name=body.name,
        building_id=body.building_id,
        location=body.location,
        extinguisher_type=body.extinguisher_type,
        manufactured_on=body.manufactured_on,
        crowded=body.crowded_location,
        certificate_expires_on=body.certificate_expires_on,
    )


@router.get("/due", response_model=list[DueRead])
def due(who: FacilityReader, session: ReadSession, compound_id: int, within_days: int = 30) -> list[DueRead]:
    """Plans due within N days, overdue ones flagged."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    rows = service.due_list(
        session, compound_id=compound_id, today=china_date(), within_days=max(0, min(within_days, 3650))
    )
    return [
        DueRead(
            plan_id=r["plan"].id,
            kind=r["plan"].kind,
            label=r["label"],
            due_on=r["plan"].due_on,
            equipment=r["equipment"].name if r["equipment"] else None,
            overdue=r["overdue"],
            open_order_id=r["plan"].open_order_id,
        )
        for r in rows
    ]


@router.post("/plans/{plan_id}/inspections", response_model=InspectionRead, status_code=201)
def inspect(plan_id: int, body: InspectionBody, who: FacilityManager, session: WriteSession) -> Any:
    """Record a checklist; failed items open work orders, the plan moves to its next due date."""
    row = service.inspect(
        session,
        by=who,
        plan_id=plan_id,
        items=[i.model_dump() for i in body.items],
        supervisor_name=body.supervisor_name,
    )
    return _inspection(session, row)


@router.post(
    "/inspections/{inspection_id}/sign-off",
    response_model=InspectionRead,
    responses={409: SignOffConflict.doc()},
)
def sign_off(inspection_id: int, body: SignOffBody, who: FacilityManager, session: WriteSession) -> Any:
    """The supervisor countersigns an inspection (not the inspector, once); a fire check is complete only now."""
    return _inspection(session, service.sign_off(session, by=who, inspection_id=inspection_id, note=body.note))


@router.get("/inspections/{inspection_id}", response_model=InspectionRead)
def get_inspection(inspection_id: int, who: FacilityReader, session: ReadSession) -> Any:
    """One inspection with its signatures; complete once every signature it needs is there (R-S4)."""
    return _inspection(session, service.readable_inspection(session, by=who, inspection_id=inspection_id))


# ---- R-S7: the fire control room roster -------------------------------------------------------------------
def _aware(t: datetime) -> datetime:
    """Times without an offset are China time (the roster is written by people in China)."""
    from anju.workorders.sla import CST

    return t if t.tzinfo is not None else t.replace(tzinfo=CST)


@router.put("/fire-duty/roster", response_model=RosterRead)
def set_fire_duty(body: RosterBody, who: FacilityManager, session: WriteSession) -> RosterRead:
    """Replace the control-room shifts of a range; a roster with gaps is kept and its gaps returned (R-S7)."""
    start, end = _aware(body.starts_at), _aware(body.ends_at)
    gaps = fire_duty.set_roster(
        session,
        by=who,
        compound_id=body.compound_id,
        start=start,
        end=end,
        shifts=[(_aware(s.starts_at), _aware(s.ends_at), s.staff) for s in body.shifts],
    )
    kept = fire_duty.shifts_between(session, compound_id=body.compound_id, start=start, end=end)
    return RosterRead(
        compound_id=body.compound_id,
        shifts=[ShiftRead.model_validate(s) for s in kept],
        gaps=[GapRead(kind=g.kind, starts_at=g.starts_at, ends_at=g.ends_at, on_duty=g.on_duty) for g in gaps],
    )


@router.get("/fire-duty", response_model=RosterRead)
def get_fire_duty(who: FacilityReader, session: ReadSession, compound_id: int, days: int = 7) -> RosterRead:
    """The shifts of the next N days and the open gaps the watch job flagged."""
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id}")
    now = utcnow()
    shifts = fire_duty.shifts_between(
        session, compound_id=compound_id, start=now, end=now + timedelta(days=max(1, min(days, 62)))
    )
    return RosterRead(
        compound_id=compound_id,
        shifts=[ShiftRead.model_validate(s) for s in shifts],
        gaps=[GapRead.model_validate(g) for g in fire_duty.open_gaps(session, compound_id=compound_id)],
    )
