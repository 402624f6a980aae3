"""Work-order jobs: the deadline timers (warning, escalation L1–L3, re-dispatch)."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.workorders.timers import fire_due


@job("workorders.deadlines", every=timedelta(seconds=30))
def fire_deadlines() -> None:
    """Fire due timers; each timer once by compare-and-set, whichever worker gets there first."""
    with transaction() as session:
        fire_due(session, now=utcnow(), worker_id=f"{socket.gethostname()}:{os.getpid()}")
