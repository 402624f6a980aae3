"""Care jobs: the silence check (leased, one alarm per episode) and the weekly/monthly visit plan."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from anju.care.service import care_service
from anju.core.db import transaction, utcnow
from anju.core.jobs import job


@job("care.check_silence", every=timedelta(minutes=5))
def check_silence() -> None:
    """独居老人长时间未出家门: one alarm and one visit per silence episode (UNIQUE(profile, since))."""
    with transaction() as session:
        care_service.check_silence(session, now=utcnow())


@job("care.escalate", every=timedelta(seconds=30))
def escalate() -> None:
    """The silence ladder's due rungs (self-check, alarm, contacts, neighbour, grid worker, visit order): each rung
    once, by compare-and-set, whichever worker gets there; a restarted worker resumes from the stored rungs."""
    with transaction() as session:
        care_service.fire_ladder(session, now=utcnow(), worker_id=f"{socket.gethostname()}:{os.getpid()}")


@job("care.plan_visits", every=timedelta(hours=1))
def plan_visits() -> None:
    """This week's visit for each person living alone; this month's contact for special hardship (R-E1)."""
    with transaction() as session:
        care_service.plan_visits(session, now=utcnow())
