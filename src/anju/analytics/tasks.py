"""Analytics jobs: the periodic security reports, made once each period is over; the daily hot-spot models."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from anju.analytics.hotspot_cache import refit
from anju.analytics.reports import report_service
from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.core.kit.china_time import china_date
from anju.registry.service import compounds_by_id


@job("analytics.security_reports", every=timedelta(minutes=30))
def make_security_reports() -> None:
    """Each compound's weekly, monthly and quarterly report of the last closed period (idempotent by unique key)."""
    with transaction() as session:
        report_service.generate_due(session, today=china_date())


@job("analytics.hotspot_models", every=timedelta(minutes=15))
def fit_hotspot_models() -> None:
    """Fit each compound's theft hot-spot model for today once (again when a late alarm made it stale)."""
    with transaction() as session:
        precompute(session=session)


def precompute(*, now: datetime | None = None, session: Session | None = None) -> dict[str, int]:
    """The analytics precomputation the 大屏 reads (today's hot-spot models); returns what was done."""
    if session is None:
        with transaction() as s:
            return precompute(now=now, session=s)
    ids = [c.id for c in compounds_by_id(session)]
    return {"hotspot_models": refit(session, compound_ids=ids, now=now or utcnow())}
