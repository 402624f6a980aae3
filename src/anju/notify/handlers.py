"""Send queued deliveries once the transaction that wrote them has committed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from anju.core.events import subscribe
from anju.notify.events import DeliveryQueued
from anju.notify.service import notify_service


@subscribe(DeliveryQueued, own_transaction=True)  # calls the SMS/voice/webhook provider
def send_delivery(session: Session, event: DeliveryQueued) -> None:
    """Send one SMS, call or webhook; failures are recorded on the row and retried by the job."""
    notify_service.deliver(event.delivery_id)
