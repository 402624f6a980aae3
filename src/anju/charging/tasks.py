"""Charging job: the piles' reports and the clock, every few seconds, under the job system's lease."""

from __future__ import annotations

from datetime import timedelta

from anju.charging.service import charging_service
from anju.core.db import transaction, utcnow
from anju.core.jobs import job


@job("charging.tick", every=timedelta(seconds=10))
def tick() -> None:
    """End sessions whose time is up or whose pile is full or cut, resume after a power cut, start card swipes."""
    with transaction() as session:
        charging_service.tick(session, now=utcnow())
