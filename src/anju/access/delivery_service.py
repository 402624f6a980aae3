"""Couriers and food-delivery riders (issue 18): a compound's delivery rule, and passes instead of barring them.

A courier's pass covers one delivery (30 minutes by default) or, issued by the desk, one shift (gates and
lockers only). A rider's pass covers one delivery: one entry, 45 minutes by default, created by the host who
ordered, or registered at the gate and confirmed by the host on H5. How far either goes inside is the
compound's rule: the lockers, the host's unit lobby door, or up to the host's door.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.access.config import access_settings
from anju.access.enums import DeliveryReach
from anju.access.models import DeliveryRule
from anju.access.permissions import AccessPerm
from anju.access.repository import HolderQuery, VisitorQuery
from anju.access.schemas import DeliveryRuleUpdate
from anju.access.sync_service import terminal_sync_service
from anju.core.auth import Principal
from anju.core.errors import NotFound


@dataclass(frozen=True)
class DeliveryLimits:
    compound_id: int
    courier_reach: DeliveryReach
    rider_reach: DeliveryReach
    courier_minutes: int
    rider_minutes: int
    shift_hours: int


class DeliveryRuleService:
    def limits(self, session: Session, *, compound_id: int) -> DeliveryLimits:
        """The compound's rule, or the defaults where it has none."""
        row = HolderQuery(session).delivery_rule(compound_id)
        if row is not None:
            return DeliveryLimits(
                compound_id,
                row.courier_reach,
                row.rider_reach,
                row.courier_minutes,
                row.rider_minutes,
                row.shift_hours,
            )
        s = access_settings()
        return DeliveryLimits(
            compound_id,
            DeliveryReach.lockers,
            DeliveryReach.lobby,
            s.courier_minutes,
            s.rider_minutes,
            s.courier_shift_hours,
        )

    def get(self, session: Session, *, who: Principal, compound_id: int) -> DeliveryLimits:
        if not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        return self.limits(session, compound_id=compound_id)

    def update(self, session: Session, *, who: Principal, compound_id: int, data: DeliveryRuleUpdate) -> DeliveryLimits:
        """Set the compound's rule; terminals re-learn every live courier and rider pass at once."""
        if not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        who.require(AccessPerm.manage)
        row = HolderQuery(session).delivery_rule(compound_id)
        if row is None:
            now = self.limits(session, compound_id=compound_id)
            row = DeliveryRule(
                compound_id=compound_id,
                courier_reach=now.courier_reach,
                rider_reach=now.rider_reach,
                courier_minutes=now.courier_minutes,
                rider_minutes=now.rider_minutes,
                shift_hours=now.shift_hours,
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:  # a concurrent first write made the row: update that one
                row = HolderQuery(session).delivery_rule(compound_id)
                assert row is not None
        for field, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(row, field, value)
        session.flush()
        for vp in VisitorQuery(session).live_delivery_passes(compound_id):
            terminal_sync_service.refresh_pass(session, vp)
        return self.limits(session, compound_id=compound_id)


delivery_rule_service = DeliveryRuleService()
