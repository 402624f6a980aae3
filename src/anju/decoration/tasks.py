"""Decoration jobs: erase workers' and contractors' contact data once the works are long over."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.decoration.service import decoration_service


@job("decoration.purge_contacts", every=timedelta(hours=6))
def purge_contacts() -> None:
    """PIPL 19: workers' names and phones and the contractor's phone go after the retention period."""
    with transaction() as session:
        decoration_service.purge_contacts(session, now=utcnow())
