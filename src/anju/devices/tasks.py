"""Device jobs: heartbeats (R-A6), command timeouts, telemetry retention."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.devices.command_service import command_service
from anju.devices.service import device_service


@job("devices.check_heartbeats", every=timedelta(seconds=20))
def check_heartbeats() -> None:
    """Mark devices silent for 3 heartbeat intervals offline and raise their offline alarm."""
    with transaction() as session:
        device_service.mark_offline_overdue(session, now=utcnow())


@job("devices.expire_commands", every=timedelta(seconds=10))
def expire_commands() -> None:
    with transaction() as session:
        command_service.expire(session, now=utcnow())


@job("devices.purge_telemetry", every=timedelta(hours=6))
def purge_telemetry() -> None:
    with transaction() as session:
        device_service.purge(session, now=utcnow())
