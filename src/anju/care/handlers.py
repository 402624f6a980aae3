"""Care reacts to other domains' events: an access passage is a person's activity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from anju.access.events import AccessGranted
from anju.care.service import care_service
from anju.core.events import subscribe


@subscribe(AccessGranted)
def passage_is_activity(session: Session, event: AccessGranted) -> None:
    """A door opened for a person (card, face, PIN, QR): their last activity moves forward."""
    if event.person_id is None:
        return
    try:
        at = datetime.fromisoformat(event.at)
    except ValueError:
        return
    if at.tzinfo is None:
        return
    care_service.record_activity(
        session,
        person_id=event.person_id,
        at=at,
        source=f"access:{event.method}:{event.access_point_id or 0}:{'out' if event.direction == 'out' else 'in'}",
    )
