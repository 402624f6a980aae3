"""Every facilities query: maintenance plans with their equipment, inspections and their signatures."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.facilities.models import Equipment, Inspection, InspectionSignature, MaintenancePlan


class FacilityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def plan(self, plan_id: int) -> MaintenancePlan | None:
        return self.session.get(MaintenancePlan, plan_id)

    def plan_kind(self, plan_id: int) -> str:
        return str(self.session.execute(select(MaintenancePlan.kind).where(MaintenancePlan.id == plan_id)).scalar_one())

    def inspection(self, inspection_id: int) -> Inspection | None:
        return self.session.get(Inspection, inspection_id)

    def due_plans(self, compound_id: int, *, until: date) -> list[tuple[MaintenancePlan, Equipment | None]]:
        """Plans of a compound due on or before `until`, soonest first, with their equipment (if any)."""
        rows = self.session.execute(
            select(MaintenancePlan, Equipment)
            .outerjoin(Equipment, Equipment.id == MaintenancePlan.equipment_id)
            .where(MaintenancePlan.compound_id == compound_id, MaintenancePlan.due_on <= until)
            .order_by(MaintenancePlan.due_on, MaintenancePlan.id)
        ).all()
        return [(p, e) for p, e in rows]

    def signatures(self, inspection_ids: Collection[int]) -> list[InspectionSignature]:
        return list(
            self.session.execute(
                select(InspectionSignature).where(InspectionSignature.inspection_id.in_(list(inspection_ids) or [-1]))
            ).scalars()
        )

    def lacking_signature(
        self, compound_id: int, *, role: str, plan_kinds: Collection[str], limit: int = 50
    ) -> list[tuple[Inspection, str]]:
        """Inspections of these plan kinds that nobody has signed in `role` yet, newest first, with the plan kind."""
        signed = (
            select(InspectionSignature.id)
            .where(InspectionSignature.inspection_id == Inspection.id, InspectionSignature.role == role)
            .exists()
        )
        rows = self.session.execute(
            select(Inspection, MaintenancePlan.kind)
            .join(MaintenancePlan, MaintenancePlan.id == Inspection.plan_id)
            .where(Inspection.compound_id == compound_id, MaintenancePlan.kind.in_(list(plan_kinds)), ~signed)
            .order_by(Inspection.at.desc())
            .limit(limit)
        ).all()
        return [(i, str(k)) for i, k in rows]
