"""Shared helpers for the fees tests: demo bills, signed provider callbacks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.kit.china_time import china_date
from anju.fees.models import Bill, FeeItem, Payment
from anju.fees.providers import SIGNATURE_HEADER, simulated_provider
from anju.fees.service import period_of
from anju.registry.models import House

CALLBACK = "/api/v1/fees/providers/sim/callback"


def this_period() -> str:

    return period_of(china_date())


def li_open_bill(session: Session, ids: dict[str, int]) -> Bill:
    """resident_li's open property-fee bill for this month (the demo bills every house)."""
    return session.execute(
        select(Bill)
        .join(FeeItem, FeeItem.id == Bill.item_id)
        .where(Bill.house_id == ids["li_house"], Bill.period == this_period(), FeeItem.code == "PROP")
    ).scalar_one()


def other_open_bill(session: Session, ids: dict[str, int]) -> Bill:
    """An open owner bill of some other house in 示范小区."""
    return (
        session.execute(
            select(Bill)
            .where(
                Bill.compound_id == ids["A"],
                Bill.house_id != ids["li_house"],
                Bill.status == "open",
                Bill.payer_kind == "owner",
            )
            .order_by(Bill.id)
        )
        .scalars()
        .first()
    )


def xfl_house(session: Session, ids: dict[str, int]) -> House:
    return session.execute(select(House).where(House.compound_id == ids["B"]).order_by(House.id)).scalars().first()


def signed(
    order_no: str, amount_fen: int, *, txn_id: str | None = None, success: bool = True
) -> tuple[bytes, dict[str, str]]:
    body, sig = simulated_provider.notification(
        order_no=order_no, amount_fen=amount_fen, txn_id=txn_id, success=success
    )
    return body, {SIGNATURE_HEADER: sig, "Content-Type": "application/json"}


def payments_of(session: Session, bill_id: int) -> list[Payment]:
    return list(session.execute(select(Payment).where(Payment.bill_id == bill_id)).scalars())


def ledger_state(session: Session, bill_id: int) -> tuple[Any, ...]:
    """Everything a refused request must leave unchanged."""
    session.expire_all()
    b = session.get(Bill, bill_id)
    assert b is not None
    return (b.paid_fen, b.refunded_fen, b.status, len(payments_of(session, bill_id)))
