"""Fees pages: the resident's bills, the simulated provider's checkout and receipts (H5); the staff fees
console with billing runs, counter payments, refunds, reminders and the common-income ledger.

Forms post here and redirect back (post/redirect/get); refusals raise the domain's errors,
which web paths render as a 4xx page with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden, Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.fees.enums import (
    COUNTER_CHANNELS,
    BillStatus,
    IncomeKind,
    IntentStatus,
    PayChannel,
)
from anju.fees.exceptions import BillNotFound
from anju.fees.models import Bill, FeeItem, Payment
from anju.fees.money import yuan
from anju.fees.permissions import FeesPerm
from anju.fees.providers import callback_provider, online_payment_off_reason
from anju.fees.repository import FeeQuery
from anju.fees.schemas import IncomeCreate
from anju.fees.service import fee_service, period_of
from anju.registry.models import House
from anju.web.deps import (
    ConsolePage,
    console_guard,
    page_guard,
)
from anju.web.forms import page_number, query_int
from anju.web.render import render

router = APIRouter(include_in_schema=False)
SelfServicePage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
FeesPage = Annotated[ConsolePage, Depends(console_guard(FeesPerm.read))]
PAGE_SIZE = 50


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- resident H5: bills --------------------------------------------------------------------------
@router.get("/h5/bills")
def my_bills(request: Request, who: SelfServicePage, session: ReadSession, paid: str | None = None) -> Response:
    """我的账单: open and paid bills of my households, pay online, receipts, the common-income ledger."""
    rows, _ = FeeQuery(session).bill_rows(who, limit=200)
    bill_ids = [b.id for b, _, _ in rows]
    payments: dict[int, list[Payment]] = defaultdict(list)
    for p in FeeQuery(session).payments_of(bill_ids):
        payments[p.bill_id].append(p)
    owed = sum(b.amount_fen - b.paid_fen for b, _, _ in rows if b.status == BillStatus.open)
    compound_id = next(iter(sorted(who.compound_ids)), None)
    ledger = fee_service.ledger(session, by=who, compound_id=compound_id) if compound_id else None
    return render(
        request,
        "fees/h5_bills.html",
        {
            "who": who,
            "rows": rows,
            "payments": payments,
            "owed": owed,
            "ledger": ledger,
            "yuan": yuan,
            "just_paid": query_int(paid),
            "online_off": online_payment_off_reason(),
        },
    )


@router.post("/h5/bills/{bill_id}/pay")
def start_payment(bill_id: int, who: SelfServicePage, session: WriteSession) -> Response:
    """Open an order with the configured provider and go to its checkout page (409 when online payment is off)."""
    intent = fee_service.open_online(session, by=who, bill_id=bill_id)
    return _see_other(callback_provider(intent.provider).checkout_url(intent.order_no))


@router.get("/h5/bills/pay/{order_no}")
def checkout(order_no: str, request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """The simulated provider's checkout page (a real provider's page would be on its own site)."""
    intent = fee_service.intent_of(session, by=who, order_no=order_no[:40])
    fee_service.require_simulated(intent)  # 409 with the reason outside development
    bill = fee_service.get_bill(session, by=who, bill_id=intent.bill_id)
    label = session.get(House, bill.house_id)
    item = session.get(FeeItem, bill.item_id)
    return render(
        request,
        "fees/h5_checkout.html",
        {"who": who, "intent": intent, "bill": bill, "yuan": yuan, "house": label, "item": item},
    )


@router.post("/h5/bills/pay/{order_no}")
def confirm_checkout(
    order_no: str, who: SelfServicePage, session: WriteSession, outcome: Annotated[str, Form(max_length=8)] = "pay"
) -> Response:
    """The payer confirms (or cancels) at the provider; the provider sends us its signed notification.

    The simulated provider delivers the notification in-process through the same verify-and-settle
    code as POST /api/v1/fees/providers/sim/callback, so both paths are one. Outside development
    the simulated provider is off: 409 with the reason, and nothing is paid.
    """
    was_pending = fee_service.intent_of(session, by=who, order_no=order_no[:40]).status == IntentStatus.pending
    intent = fee_service.simulated_checkout(session, by=who, order_no=order_no[:40], pay=outcome == "pay")
    if not was_pending:
        return _see_other("/h5/bills")  # already settled (a second click, the back button): nothing to do
    return _see_other(f"/h5/bills?paid={intent.bill_id}" if outcome == "pay" else "/h5/bills")


@router.get("/h5/bills/receipts/{payment_id}")
def receipt(payment_id: int, request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """A printable receipt for one of my payments."""
    payment = session.get(Payment, payment_id)
    try:
        if payment is None:
            raise BillNotFound()
        bill = fee_service.get_bill(session, by=who, bill_id=payment.bill_id)
    except BillNotFound:  # someone else's receipt and a missing one get the same answer (no id oracle)
        raise NotFound(f"payment {payment_id} not found", zh="未找到该收据") from None
    return render(
        request,
        "fees/h5_receipt.html",
        {
            "who": who,
            "p": payment,
            "bill": bill,
            "house": session.get(House, bill.house_id),
            "item": session.get(FeeItem, bill.item_id),
            "yuan": yuan,
        },
    )


@router.get("/console/fees")
def fees_console(
    request: Request,
    ctx: FeesPage,
    session: ReadSession,
    period: str | None = None,
    status: str | None = None,
    page: str | None = None,
    done: str | None = None,
) -> Response:
    """物业费: bills by month and status, the arrears aggregate, counter payments, billing runs, export."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.fees"))
    cid = ctx.compound.id
    q = FeeQuery(session)
    periods = q.periods(cid)
    chosen = period if period in periods else (periods[0] if periods else period_of(china_date()))
    state = status if status in (BillStatus.open, BillStatus.paid) else None
    n = min(page_number(page), 10_000)
    rows, total = q.bill_rows(
        ctx.who, compound_id=cid, period=chosen, status=state, offset=(n - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    sums = session.execute(
        select(
            func.count(), func.coalesce(func.sum(Bill.amount_fen), 0), func.coalesce(func.sum(Bill.paid_fen), 0)
        ).where(Bill.compound_id == cid, Bill.period == chosen)
    ).one()
    return render(
        request,
        "fees/console_fees.html",
        ctx.context(
            "nav.fees",
            rows=rows,
            total=total,
            page_no=n,
            pages=max(1, -(-total // PAGE_SIZE)),
            periods=periods,
            period=chosen,
            status=state,
            yuan=yuan,
            done=done,
            totals={"bills": int(sums[0]), "amount": int(sums[1]), "paid": int(sums[2])},
            arrears=fee_service.arrears(session, by=ctx.who, compound_id=cid, today=china_date()),
            ledger=fee_service.ledger(session, by=ctx.who, compound_id=cid),
            income_kinds=list(IncomeKind),
            channels=[c for c in PayChannel if c in COUNTER_CHANNELS],
            next_period=period_of(china_date()),
            can_collect=ctx.who.can(FeesPerm.collect),
            can_manage=ctx.who.can(FeesPerm.manage),
            default_deadline=(china_date() + timedelta(days=15)).isoformat(),
            items=q.items(cid, active_only=False),
            disclosure=fee_service.last_disclosure(session, compound_id=cid, today=china_date()),
        ),
    )


def _back(ctx: ConsolePage, period: str, done: str) -> Response:
    return _see_other(f"/console/fees?compound_id={ctx.compound_id}&period={period}&done={done}")


@router.post("/console/fees/bills/{bill_id}/counter")
def counter_payment(
    bill_id: int,
    ctx: FeesPage,
    session: WriteSession,
    amount: Annotated[str, Form(max_length=20)],
    channel: Annotated[str, Form(max_length=20)] = "counter_cash",
) -> Response:
    """The staffed counter (R-M7): cash, card or staff-assisted."""
    try:
        ch = PayChannel(channel)
    except ValueError:
        raise Invalid("unknown channel", zh="收费方式无效") from None
    p = fee_service.counter_payment(session, by=ctx.who, bill_id=bill_id, amount=amount, channel=ch)
    bill = session.get(Bill, p.bill_id)
    return _back(ctx, bill.period if bill else "", f"paid:{p.receipt_no}")


@router.post("/console/fees/billing-run")
def billing_run(ctx: FeesPage, session: WriteSession, period: Annotated[str, Form(max_length=7)]) -> Response:
    if ctx.compound is None:
        raise Forbidden()
    r = fee_service.run_billing(session, by=ctx.who, compound_id=ctx.compound.id, period=period)
    return _back(ctx, period, f"billed:{r.created}")


@router.post("/console/fees/reminders")
def reminders(
    ctx: FeesPage, session: WriteSession, period: Annotated[str, Form(max_length=7)], deadline: Annotated[date, Form()]
) -> Response:
    if ctx.compound is None:
        raise Forbidden()
    sent, _ = fee_service.send_reminders(
        session, by=ctx.who, compound_id=ctx.compound.id, period=period, deadline=deadline, today=china_date()
    )
    return _back(ctx, period, f"reminded:{sent}")


@router.post("/console/fees/bills/{bill_id}/refund")
def refund(
    bill_id: int,
    ctx: FeesPage,
    session: WriteSession,
    amount: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(min_length=2, max_length=255)],
) -> Response:
    r = fee_service.refund(session, by=ctx.who, bill_id=bill_id, amount=amount, reason=reason)
    bill = session.get(Bill, r.bill_id)
    return _back(ctx, bill.period if bill else "", f"refunded:{r.receipt_no}")


@router.post("/console/fees/disclosure")
def disclosure(ctx: FeesPage, session: WriteSession) -> Response:
    if ctx.compound is None:
        raise Forbidden()
    fee_service.publish_arrears_disclosure(session, by=ctx.who, compound_id=ctx.compound.id, today=china_date())
    return _back(ctx, "", "disclosed:1")


@router.post("/console/fees/income-report")
def income_report(ctx: FeesPage, session: WriteSession) -> Response:
    if ctx.compound is None:
        raise Forbidden()
    fee_service.publish_income_report(session, by=ctx.who, compound_id=ctx.compound.id, today=china_date())
    return _back(ctx, "", "disclosed:1")


@router.post("/console/fees/income")
def add_income(
    ctx: FeesPage,
    session: WriteSession,
    occurred_on: Annotated[date, Form()],
    kind: Annotated[IncomeKind, Form()],
    description: Annotated[str, Form(min_length=1, max_length=255)],
    gross: Annotated[str, Form(max_length=20)],
    cost: Annotated[str, Form(max_length=20)] = "0",
    cost_doc: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    if ctx.compound is None:
        raise Forbidden()
    fee_service.add_income(
        session,
        by=ctx.who,
        data=IncomeCreate(
            compound_id=ctx.compound.id,
            occurred_on=occurred_on,
            kind=kind,
            description=description,
            gross=gross,
            cost=cost or "0",
            cost_doc=cost_doc or None,
        ),
    )
    return _back(ctx, "", "income:1")
