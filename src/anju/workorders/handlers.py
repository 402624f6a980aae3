"""workorders: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.alarms.enums import CLOSED_STATUSES
from anju.alarms.events import AlarmStateChanged, WorkOrderRequested
from anju.core.events import subscribe
from anju.workorders import tasks as _tasks  # noqa: F401  (register the deadline job)
from anju.workorders.service import work_order_service


@subscribe(WorkOrderRequested)
def open_order_for_alarm(session: Session, event: WorkOrderRequested) -> None:
    """Alarm linkage (e.g. smoke): one work order per alarm, even when the event is delivered twice."""
    work_order_service.open_from_alarm(
        session,
        alarm_id=event.alarm_id,
        compound_id=event.compound_id,
        kind=event.kind,
        severity=event.severity,
        category=event.category,
        title=event.title,
        building_id=event.building_id,
        house_id=event.house_id,
        floor=event.floor,
        basis=event.basis,
    )


@subscribe(AlarmStateChanged)
def close_order_of_closed_alarm(session: Session, event: AlarmStateChanged) -> None:
    """An alarm resolved or marked false closes its linked order if that is still open (issue 17 item 3)."""
    if event.new_status in {s.value for s in CLOSED_STATUSES}:
        work_order_service.close_for_alarm(
            session, alarm_id=event.alarm_id, compound_id=event.compound_id, outcome=event.outcome
        )
