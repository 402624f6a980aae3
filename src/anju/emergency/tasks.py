"""Emergency jobs: quarterly drill reminders and supply expiry/shortage warnings (once each)."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.emergency.service import emergency_service


@job("emergency.remind", every=timedelta(hours=6))
def remind() -> None:
    """A quarter without a drill, a supply expiring, expired or short: one reminder each (UNIQUE(key))."""
    with transaction() as session:
        emergency_service.remind(session, now=utcnow())
