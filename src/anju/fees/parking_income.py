"""Temporary-parking payments booked into the owners' common-income ledger (R-M3), once per payment reference.

The parking domain publishes parking.ParkingFeePaid for each paid stay (booth, QR callback, H5); the fees handler
calls book_parking_fee. CommonIncome.source_ref is unique, so the event delivered twice, two workers racing, or a
replayed provider callback book one line.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.kit.china_time import china_date
from anju.fees.enums import IncomeKind
from anju.fees.models import CommonIncome

PAID_VIA = {"booth": "岗亭收费", "qr": "扫码支付", "h5": "线上预付"}


def source_ref(payment_ref: str) -> str:
    return f"parking:{payment_ref}"


def book_parking_fee(
    session: Session,
    *,
    compound_id: int,
    amount_fen: int,
    payment_ref: str,
    paid_via: str,
    plate: str | None,
    paid_at: datetime | None = None,
) -> tuple[CommonIncome, bool]:
    """Book one temporary-parking payment as common income (parking on common roads and ground).

    Returns (the ledger line, whether it was booked by this call)."""
    ref = source_ref(payment_ref)
    existing = session.execute(select(CommonIncome).where(CommonIncome.source_ref == ref)).scalar_one_or_none()
    if existing is not None:
        return existing, False
    row = CommonIncome(
        compound_id=compound_id,
        occurred_on=china_date(paid_at),
        kind=IncomeKind.parking_common_road.value,
        description=f"临时停车费 {plate or ''}（{PAID_VIA.get(paid_via, paid_via)} {payment_ref}）"[:255],
        gross_fen=amount_fen,
        cost_fen=0,
        source_ref=ref,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a rival delivery booked it first
        return session.execute(select(CommonIncome).where(CommonIncome.source_ref == ref)).scalar_one(), False
    return row, True
