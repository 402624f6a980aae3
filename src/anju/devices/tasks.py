"""Device jobs: heartbeats (R-A6), command timeouts, telemetry retention."""

from __future__ import annotations

from datetime import datetime, timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import in_batches, job
from anju.core.partitions import MonthlyPartitions, register
from anju.devices import rollups as _rollups  # noqa: F401  (registers the device-message rollup)
from anju.devices.command_service import command_service
from anju.devices.config import device_settings
from anju.devices.service import device_service

# Telemetry is partitioned by month of receipt on PostgreSQL; whole months past retention are dropped by the
# leased job core.partitions (the row purge below then only meets rows older than the oldest month).
register(
    MonthlyPartitions("device_message", "received_at", lambda: timedelta(days=device_settings().devices_retention_days))
)


@job("devices.check_heartbeats", every=timedelta(seconds=20))
def check_heartbeats() -> None:
    """Mark devices silent for 3 heartbeat intervals offline and raise their offline alarm."""
    with transaction() as session:
        device_service.mark_offline_overdue(session, now=utcnow())


@job("devices.expire_commands", every=timedelta(seconds=10))
def expire_commands() -> None:
    with transaction() as session:
        command_service.expire(session, now=utcnow())


@job("devices.purge_telemetry", every=timedelta(minutes=10))
def purge_telemetry() -> None:
    purge_expired()


def purge_expired(now: datetime | None = None) -> int:
    """Delete telemetry and dead letters past retention, batch by batch, until done or out of time."""
    s = device_settings()
    now = now or utcnow()

    def batch() -> int:
        with transaction() as session:
            return device_service.purge(session, now=now, limit=s.devices_purge_batch)

    return in_batches(batch, batch=s.devices_purge_batch, budget=timedelta(seconds=s.devices_purge_budget_seconds))
