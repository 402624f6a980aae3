"""Patrol jobs: key-point gaps (R-W5) and closed round windows."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.patrol.service import check_gaps, check_rounds, ensure_key_unit_patrols


@job("patrol.watch", every=timedelta(seconds=60))
def watch_patrols() -> None:
    """Raise an alarm for each new gap and each missed round (once each, by unique rows)."""
    with transaction() as session:
        now = utcnow()
        ensure_key_unit_patrols(session, now=now)  # R-S4: a daily round at key units
        check_gaps(session, now=now)
        check_rounds(session, now=now)
