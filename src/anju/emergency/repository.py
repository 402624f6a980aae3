"""Every query of the emergency domain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.emergency.models import (
    EmergencyDrill,
    EmergencyIncident,
    EmergencyPlan,
    EmergencyTask,
    SupplyItem,
)


class EmergencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def plans(self, compound_ids: Iterable[int], *, active_only: bool = True) -> list[EmergencyPlan]:
        stmt = select(EmergencyPlan).where(EmergencyPlan.compound_id.in_(list(compound_ids)))
        if active_only:
            stmt = stmt.where(EmergencyPlan.active.is_(True))
        return list(self.session.execute(stmt.order_by(EmergencyPlan.id)).scalars())

    def all_active_plans(self) -> list[EmergencyPlan]:
        stmt = select(EmergencyPlan).where(EmergencyPlan.active.is_(True)).order_by(EmergencyPlan.id)
        return list(self.session.execute(stmt).scalars())

    def drills(self, plan_id: int) -> list[EmergencyDrill]:
        stmt = select(EmergencyDrill).where(EmergencyDrill.plan_id == plan_id).order_by(EmergencyDrill.held_at.desc())
        return list(self.session.execute(stmt).scalars())

    def last_drills(self, plan_ids: list[int]) -> dict[int, datetime]:
        if not plan_ids:
            return {}
        stmt = (
            select(EmergencyDrill.plan_id, func.max(EmergencyDrill.held_at))
            .where(EmergencyDrill.plan_id.in_(plan_ids))
            .group_by(EmergencyDrill.plan_id)
        )
        return {p: at for p, at in self.session.execute(stmt).tuples() if at is not None}

    def incidents(self, compound_ids: Iterable[int], limit: int = 100) -> list[EmergencyIncident]:
        stmt = (
            select(EmergencyIncident)
            .where(EmergencyIncident.compound_id.in_(list(compound_ids)))
            .order_by(EmergencyIncident.id.desc())
            .limit(limit)
        )
        return list(self.session.execute(stmt).scalars())

    def tasks(self, incident_id: int) -> list[EmergencyTask]:
        stmt = (
            select(EmergencyTask)
            .where(EmergencyTask.incident_id == incident_id)
            .order_by(EmergencyTask.tier, EmergencyTask.role, EmergencyTask.position)
        )
        return list(self.session.execute(stmt).scalars())

    def supplies(self, compound_ids: Iterable[int]) -> list[SupplyItem]:
        stmt = (
            select(SupplyItem)
            .where(SupplyItem.compound_id.in_(list(compound_ids)))
            .order_by(SupplyItem.store, SupplyItem.name)
        )
        return list(self.session.execute(stmt).scalars())

    def draw(self, supply_id: int, quantity: int) -> bool:
        """Take `quantity` out in one conditional UPDATE: never below zero, even with parallel draws."""
        res = self.session.execute(
            update(SupplyItem)
            .where(SupplyItem.id == supply_id, SupplyItem.quantity >= quantity)
            .values(quantity=SupplyItem.quantity - quantity)
        )
        return bool(res.rowcount == 1)  # type: ignore[attr-defined]

    def finish_task(self, task_id: int, *, user_id: int, now: datetime) -> bool:
        res = self.session.execute(
            update(EmergencyTask)
            .where(EmergencyTask.id == task_id, EmergencyTask.done_at.is_(None))
            .values(done_at=now, done_by=user_id)
        )
        return bool(res.rowcount == 1)  # type: ignore[attr-defined]
