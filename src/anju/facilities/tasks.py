"""Facility jobs: raise work orders for due plans (R-W2 lift maintenance and the other order plans)."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.facilities.service import raise_due_orders
from anju.workorders.sla import CST


@job("facilities.due", every=timedelta(minutes=10))
def raise_due() -> None:
    """Open one work order per due plan; the plan row is claimed by compare-and-set first."""
    with transaction() as session:
        now = utcnow()
        raise_due_orders(session, today=now.astimezone(CST).date(), now=now)


@job("facilities.fire_duty", every=timedelta(minutes=15))
def watch_fire_duty() -> None:
    """R-S7: flag control-room hours of the next 7 days with fewer than two people on duty (once per gap)."""
    from anju.facilities.fire_duty import check_all

    with transaction() as session:
        check_all(session, now=utcnow())
