"""Governance jobs: move votes along their clock, flag overdue 公示 (R-V13)."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction
from anju.core.jobs import job
from anju.governance.results_service import results_service
from anju.governance.window_service import vote_window_service


@job("governance.advance_votes", every=timedelta(minutes=1))
def advance_votes() -> None:
    """Open votes whose window started and close + tally those whose window ended."""
    with transaction() as session:
        vote_window_service.advance_due(session)


@job("governance.publication_overdue", every=timedelta(hours=1))
def publication_overdue() -> None:
    """Flag tallied votes not yet publicly posted 3 days after closing."""
    with transaction() as session:
        results_service.flag_overdue(session)
