"""Analytics jobs: the periodic security reports, made once each period is over."""

from __future__ import annotations

from datetime import timedelta

from anju.analytics.reports import report_service
from anju.core.db import transaction
from anju.core.jobs import job
from anju.core.kit.china_time import china_date


@job("analytics.security_reports", every=timedelta(minutes=30))
def make_security_reports() -> None:
    """Each compound's weekly, monthly and quarterly report of the last closed period (idempotent by unique key)."""
    with transaction() as session:
        report_service.generate_due(session, today=china_date())
