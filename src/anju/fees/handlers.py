"""fees: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from anju.core.events import subscribe
from anju.decoration.events import DepositDue, DepositReleased, source_of
from anju.fees import tasks as _tasks  # noqa: F401  (registers the monthly billing job)
from anju.fees.accounts import Deduction, deposit_service
from anju.fees.events import DISCLOSURE_SOURCE, REMINDER_SOURCE
from anju.fees.models import ArrearsReminder, FeeDisclosure
from anju.fees.parking_income import book_parking_fee as book_parking_income
from anju.notices.events import NoticePublished
from anju.parking.events import ParkingFeePaid


@subscribe(NoticePublished)
def link_notice(session: Session, event: NoticePublished) -> None:
    """Record which notice carried a reminder or a disclosure (read receipts and the audit trail follow it)."""
    for prefix, model in ((REMINDER_SOURCE, ArrearsReminder), (DISCLOSURE_SOURCE, FeeDisclosure)):
        if not event.source.startswith(prefix):
            continue
        raw = event.source[len(prefix) :]
        if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
            return
        session.execute(
            update(model)
            .where(model.id == int(raw), model.compound_id == event.compound_id, model.notice_id.is_(None))
            .values(notice_id=event.notice_id)
        )


@subscribe(DepositDue)
def charge_decoration_deposit(session: Session, event: DepositDue) -> None:
    """Issue 18: the decoration deposit is charged to the house's deposit ledger on approval, once."""
    deposit_service.charge(
        session,
        compound_id=event.compound_id,
        house_id=event.house_id,
        source=source_of(event.application_id),
        purpose="装修押金",
        amount_fen=event.amount_fen,
    )


@subscribe(DepositReleased)
def settle_decoration_deposit(session: Session, event: DepositReleased) -> None:
    """Issue 18: after the final inspection, deductions are recorded with their reasons and the rest refunded."""
    deposit_service.settle(
        session,
        source=source_of(event.application_id),
        deductions=[Deduction(d.amount_fen, d.reason) for d in event.deductions],
        user_id=event.user_id,
    )


@subscribe(ParkingFeePaid)
def book_parking_fee(session: Session, event: ParkingFeePaid) -> None:
    """A temporary-parking payment is booked once into the owners' common-income ledger (R-M3)."""
    book_parking_income(
        session,
        compound_id=event.compound_id,
        amount_fen=event.amount_fen,
        payment_ref=event.payment_ref,
        paid_via=event.paid_via,
        plate=event.plate,
        paid_at=event.paid_at,
    )
