"""Emergency reacts to the alarm centre: a critical alarm proposes the matching plan (a human confirms)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRaised
from anju.core.events import subscribe
from anju.emergency.service import emergency_service


@subscribe(AlarmRaised)
def propose_plan(session: Session, event: AlarmRaised) -> None:
    """A critical alarm of a kind a plan covers (smoke → fire, gas → gas leak…): managers get the proposal."""
    if event.severity != "critical":
        return
    emergency_service.propose(
        session,
        compound_id=event.compound_id,
        alarm_id=event.alarm_id,
        alarm_kind=event.kind,
        title=event.title or event.kind,
        building_id=event.building_id,
    )
