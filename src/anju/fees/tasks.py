"""fees: the monthly billing timer. Billing is idempotent, so running it every few hours simply
bills the current month once, for every compound that has active fee items."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import select

from anju.core.db import transaction
from anju.core.jobs import job
from anju.core.kit.china_time import china_date
from anju.fees.models import FeeItem
from anju.fees.service import fee_service, period_of

log = logging.getLogger("anju.fees")


def bill_current_month(today: date | None = None) -> dict[int, int]:
    """Bill this month for every compound with fee items; returns new bills per compound."""
    period = period_of(today or china_date())
    with transaction() as s:
        compounds = list(s.execute(select(FeeItem.compound_id).where(FeeItem.active.is_(True)).distinct()).scalars())
    created: dict[int, int] = {}
    for cid in compounds:
        with transaction() as s:  # one compound per transaction: a failure elsewhere never undoes this one
            created[cid] = fee_service.run_billing(s, by=None, compound_id=cid, period=period).created
    if any(created.values()):
        log.info("billed %s for %s", period, created)
    return created


@job("fees.monthly_billing", every=timedelta(hours=6))
def monthly_billing() -> None:
    bill_current_month()


def move_last_quarter(today: date | None = None) -> dict[int, int]:
    """R-M3 (Shanghai): move last quarter's repair-fund share for every compound with a policy, once."""
    from anju.fees.models import IncomePolicy
    from anju.fees.repair_fund import previous_quarter, repair_fund_service

    day = today or china_date()
    quarter = previous_quarter(day)
    with transaction() as s:
        compounds = list(s.execute(select(IncomePolicy.compound_id)).scalars())
    moved: dict[int, int] = {}
    for cid in compounds:
        with transaction() as s:
            row = repair_fund_service.transfer(s, by=None, compound_id=cid, quarter=quarter, today=day)
            if row is not None:
                moved[cid] = row.amount_fen
    return moved


@job("fees.repair_fund_quarterly", every=timedelta(hours=12))
def repair_fund_quarterly() -> None:
    move_last_quarter()


@job("fees.send_refunds", every=timedelta(seconds=30))
def send_refunds() -> None:
    """Refunds owed through the payment provider, sent after the commit that owed them (idempotent by refund number)."""
    from anju.fees.provider_refunds import provider_refund_service

    provider_refund_service.send_due()
