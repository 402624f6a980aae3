"""The alarm centre's subscribers: requests from other domains, and linkage after a raise."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRaised, AlarmRequested
from anju.alarms.flows import run_linkage
from anju.alarms.service import alarm_service
from anju.core.events import subscribe
from anju.workorders.events import WorkOrderClosedForAlarm, WorkOrderCompleted


@subscribe(AlarmRequested)
def raise_requested_alarm(session: Session, event: AlarmRequested) -> None:
    """Any domain's request becomes an alarm, or a repeat of an open one."""
    alarm_service.raise_or_refresh(session, request=event)


@subscribe(AlarmRaised)
def link_raised_alarm(session: Session, event: AlarmRaised) -> None:
    """Notify households and contacts, request a work order, call webhooks (per the policy)."""
    run_linkage(session, event)


@subscribe(WorkOrderCompleted)
def offer_resolve_on_order_completed(session: Session, event: WorkOrderCompleted) -> None:
    """The linked order is done: the alarm's history says so and its panel offers to resolve it."""
    if event.alarm_id is not None:
        alarm_service.note_link(
            session,
            alarm_id=event.alarm_id,
            compound_id=event.compound_id,
            key="alarms.hist.order_completed",
            params={"order": event.order_id},
        )


@subscribe(WorkOrderClosedForAlarm)
def record_order_closed(session: Session, event: WorkOrderClosedForAlarm) -> None:
    alarm_service.note_link(
        session,
        alarm_id=event.alarm_id,
        compound_id=event.compound_id,
        key="alarms.hist.order_closed",
        params={"order": event.order_id},
    )
