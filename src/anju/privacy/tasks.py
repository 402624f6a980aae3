"""Privacy jobs: overdue data-subject requests."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.privacy.retention import retention_service
from anju.privacy.service import privacy_service


@job("privacy.flag_overdue_requests", every=timedelta(hours=1))
def flag_overdue_requests() -> None:
    with transaction() as session:
        privacy_service.flag_overdue(session, today=utcnow().date())


@job("privacy.erase_departed", every=timedelta(hours=6))
def erase_departed() -> None:
    """Erase personal data of people gone longer than the retention period (R-P4)."""
    with transaction() as session:
        retention_service.erase_departed(session, today=utcnow().date())
