"""Alarm jobs: escalation timers."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from anju.alarms import rollups as _rollups  # noqa: F401  (registers the alarm rollup)
from anju.alarms.escalation import escalation_service
from anju.core.db import transaction, utcnow
from anju.core.jobs import job


@job("alarms.escalate", every=timedelta(seconds=5))
def escalate_due() -> None:
    """Fire due escalation steps (each step once, by compare-and-swap, whichever worker gets there)."""
    with transaction() as session:
        escalation_service.fire_due(session, now=utcnow(), worker_id=f"{socket.gethostname()}:{os.getpid()}")
