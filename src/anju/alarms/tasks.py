"""Alarm jobs: escalation timers; the history's monthly partitions."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from anju.alarms import rollups as _rollups  # noqa: F401  (registers the alarm rollup)
from anju.alarms.config import alarm_settings
from anju.alarms.escalation import escalation_service
from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.core.partitions import MonthlyPartitions, register

# Alarm transitions are partitioned by month on PostgreSQL; whole months past the configured retention (R-A8: at
# least 90 days) are dropped by the leased job core.partitions. They are append-only, so SQLite keeps them all.
register(MonthlyPartitions("alarm_transition", "at", lambda: timedelta(days=alarm_settings().history_retention_days)))


@job("alarms.escalate", every=timedelta(seconds=5))
def escalate_due() -> None:
    """Fire due escalation steps (each step once, by compare-and-swap, whichever worker gets there)."""
    with transaction() as session:
        escalation_service.fire_due(session, now=utcnow(), worker_id=f"{socket.gethostname()}:{os.getpid()}")
