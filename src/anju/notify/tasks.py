"""Notification jobs: retry failed deliveries with backoff; retention of the in-app inbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.core.partitions import MonthlyPartitions, register, row_purge_bound
from anju.notify.config import notify_settings
from anju.notify.models import Notification
from anju.notify.service import notify_service

# The inbox is partitioned by month on PostgreSQL; whole months past retention are dropped by core.partitions.
register(
    MonthlyPartitions("notification", "created_at", lambda: timedelta(days=notify_settings().inbox_retention_days))
)


@job("notify.retry_deliveries", every=timedelta(seconds=30))
def retry_deliveries() -> None:
    now = utcnow()
    with transaction() as session:
        notify_service.release_stuck(session, now=now)
        ids = notify_service.due_retries(session, now=now)
    for delivery_id in ids:
        notify_service.deliver(delivery_id, now=now)


def purge_inbox_in(session: Session, *, now: datetime) -> int:
    """Delete in-app messages past retention: every one on SQLite, on PostgreSQL only those before the oldest
    monthly partition (the default partition's); the months themselves go whole by core.partitions."""
    cutoff = now - timedelta(days=notify_settings().inbox_retention_days)
    bound = row_purge_bound(session.connection(), "notification", cutoff)
    stmt = delete(Notification).where(Notification.created_at < bound).execution_options(synchronize_session=False)
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


@job("notify.purge_inbox", every=timedelta(hours=6))
def purge_inbox() -> None:
    with transaction() as session:
        purge_inbox_in(session, now=utcnow())
