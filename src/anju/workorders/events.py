"""Work-order events other domains react to (the alarm centre keeps its linked alarm in step)."""

from __future__ import annotations

from anju.core.events import DomainEvent


class WorkOrderCompleted(DomainEvent):
    """A technician completed an order; an order opened by an alarm names it, so the operator is asked to resolve."""

    topic = "workorders.WorkOrderCompleted"
    order_id: int
    compound_id: int
    alarm_id: int | None = None


class WorkOrderClosedForAlarm(DomainEvent):
    """An alarm was closed, so its linked open order was closed with it."""

    topic = "workorders.WorkOrderClosedForAlarm"
    order_id: int
    compound_id: int
    alarm_id: int
