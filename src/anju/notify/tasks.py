"""Notification jobs: retry failed deliveries with backoff."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.notify.service import notify_service


@job("notify.retry_deliveries", every=timedelta(seconds=30))
def retry_deliveries() -> None:
    now = utcnow()
    with transaction() as session:
        notify_service.release_stuck(session, now=now)
        ids = notify_service.due_retries(session, now=now)
    for delivery_id in ids:
        notify_service.deliver(delivery_id, now=now)
