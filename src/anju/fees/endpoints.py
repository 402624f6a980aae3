"""fees: HTTP API. Bills, billing runs, counter and online payments, the provider callback,
refunds, reminders, the arrears aggregate and the common-income ledger.

There is no endpoint, here or anywhere, that restricts water, power, heat or gas for
arrears (R-M1); tests/fees/test_rules.py keeps it that way.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Invalid
from anju.core.kit.china_time import china_date
from anju.fees.exceptions import BadSignature, OnlinePaymentOff
from anju.fees.export import export_workbook
from anju.fees.models import Bill, FeeItem, Payment, Refund
from anju.fees.permissions import FeesPerm
from anju.fees.providers import SIGNATURE_HEADER, callback_provider
from anju.fees.repair_fund import repair_fund_service
from anju.fees.repository import FeeQuery
from anju.fees.schemas import (
    ArrearsSummary,
    BillingRunBody,
    BillingRunRead,
    BillList,
    BillRead,
    CounterPaymentBody,
    DisclosureBody,
    FeeItemCreate,
    FeeItemRead,
    IncomeCreate,
    IncomePolicyBody,
    IncomePolicyRead,
    IncomeRead,
    IntentRead,
    PaymentRead,
    RefundBody,
    RefundRead,
    RemindersBody,
    RemindersRead,
    RepairTransferBody,
    RepairTransferRead,
)
from anju.fees.service import fee_service, staff_scope

router = APIRouter(prefix="/fees", tags=["fees"])

FeesReader = Annotated[Principal, requires(FeesPerm.read)]
FeesManager = Annotated[Principal, requires(FeesPerm.manage)]
FeesCollector = Annotated[Principal, requires(FeesPerm.collect)]
SelfService = Annotated[Principal, requires(AccountsPerm.self_service)]


@router.get("/items", response_model=list[FeeItemRead])
def list_items(who: FeesReader, session: ReadSession, compound_id: int) -> list[FeeItem]:
    """Fee items of a compound, each with its contract or price-filing reference (R-M5)."""
    staff_scope(who, compound_id, FeesPerm.read)
    return FeeQuery(session).items(compound_id, active_only=False)


@router.post("/items", response_model=FeeItemRead, status_code=201)
def create_item(body: FeeItemCreate, who: FeesManager, session: WriteSession) -> FeeItem:
    """Add a filed fee item; a per-house property fee needs the owners' agreed formula (R-M2)."""
    return fee_service.create_item(session, by=who, data=body)


@router.post("/billing-runs", response_model=BillingRunRead)
def run_billing(body: BillingRunBody, who: FeesManager, session: WriteSession) -> BillingRunRead:
    """Bill every house for one month; running it again creates nothing new."""
    r = fee_service.run_billing(session, by=who, compound_id=body.compound_id, period=body.period)
    return BillingRunRead(**r.__dict__)


@router.get("/bills", response_model=BillList)
def list_bills(
    who: CurrentPrincipal,
    session: ReadSession,
    compound_id: int | None = None,
    period: str | None = Query(default=None, max_length=7),
    status: str | None = Query(default=None, max_length=8),
    offset: int = Query(default=0, ge=0, le=1_000_000),
    limit: int = Query(default=50, ge=1, le=500),
) -> BillList:
    """Staff: the bills of their compounds. Residents: their own households' bills. Other staff roles: 403."""
    if who.is_staff:
        who.require(FeesPerm.read)  # a guard or technician is refused, not shown an empty list
    rows, total = FeeQuery(session).bill_rows(
        who, compound_id=compound_id, period=period, status=status, offset=offset, limit=limit
    )
    return BillList(items=[BillRead.model_validate(b) for b, _, _ in rows], total=total)


@router.get("/bills/{bill_id}", response_model=BillRead)
def get_bill(bill_id: int, who: CurrentPrincipal, session: ReadSession) -> Bill:
    """One bill the caller may see (404 otherwise)."""
    return fee_service.get_bill(session, by=who, bill_id=bill_id)


@router.get("/bills/{bill_id}/payments", response_model=list[PaymentRead])
def bill_payments(bill_id: int, who: CurrentPrincipal, session: ReadSession) -> list[Payment]:
    """Payments (receipts) of one bill."""
    bill = fee_service.get_bill(session, by=who, bill_id=bill_id)
    return FeeQuery(session).payments_of([bill.id])


@router.post("/bills/{bill_id}/counter-payments", response_model=PaymentRead, status_code=201)
def counter_payment(bill_id: int, body: CounterPaymentBody, who: FeesCollector, session: WriteSession) -> Payment:
    """Cash, card or staff-assisted payment at the service counter (R-M7)."""
    return fee_service.counter_payment(session, by=who, bill_id=bill_id, amount=body.amount, channel=body.channel)


@router.post(
    "/bills/{bill_id}/online-payments",
    response_model=IntentRead,
    status_code=201,
    responses={409: OnlinePaymentOff.doc()},
)
def open_online(bill_id: int, who: SelfService, session: WriteSession) -> IntentRead:
    """Open an order with the configured online provider for one of my bills (409 when online payment
    is off: the simulated provider exists in development only)."""
    intent = fee_service.open_online(session, by=who, bill_id=bill_id)
    return IntentRead(
        order_no=intent.order_no,
        bill_id=intent.bill_id,
        provider=intent.provider,
        amount_fen=intent.amount_fen,
        status=intent.status,
        checkout_url=callback_provider(intent.provider).checkout_url(intent.order_no),
    )


async def _raw_body(request: Request) -> bytes:
    """The exact bytes the provider signed (read here, so the handler below can be a plain `def`)."""
    return await request.body()


@router.post("/providers/{provider}/callback", responses={401: BadSignature.doc()})
def provider_callback(
    provider: str,
    body: Annotated[bytes, Depends(_raw_body)],
    session: WriteSession,
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER, max_length=128)] = "",
) -> dict[str, object]:
    """The provider's signed notification; replays of one transaction pay once.

    Public on purpose (the provider has no account): the HMAC signature is the authentication.
    A plain `def`: the database work runs in the thread pool, never on the event loop.
    """
    if len(body) > 4096:
        raise Invalid("notification too large", zh="通知过大")
    payment = fee_service.handle_callback(session, provider=provider, body=body, signature=signature)
    return {
        "ok": True,
        "payment_id": payment.id if payment else None,
        "receipt_no": payment.receipt_no if payment else None,
    }


@router.post("/bills/{bill_id}/refunds", response_model=RefundRead, status_code=201)
def refund(bill_id: int, body: RefundBody, who: FeesManager, session: WriteSession) -> Refund:
    """Refund an overcharge or an unserved prepaid month; never more than was paid."""
    return fee_service.refund(session, by=who, bill_id=bill_id, amount=body.amount, reason=body.reason)


@router.post("/reminders", response_model=RemindersRead)
def send_reminders(body: RemindersBody, who: FeesManager, session: WriteSession) -> RemindersRead:
    """Private in-app reminders with a deadline (at least 7 days) to owing households (R-M1)."""
    sent, already = fee_service.send_reminders(
        session, by=who, compound_id=body.compound_id, period=body.period, deadline=body.deadline, today=china_date()
    )
    return RemindersRead(reminded=sent, already=already)


@router.get("/arrears", response_model=ArrearsSummary)
def arrears(who: CurrentPrincipal, session: ReadSession, compound_id: int) -> ArrearsSummary:
    """Overdue bills as aggregates (counts and amounts per building), never a list of names."""
    return ArrearsSummary(**fee_service.arrears(session, by=who, compound_id=compound_id, today=china_date()))


@router.post("/arrears/disclosure", status_code=201)
def disclose_arrears(body: DisclosureBody, who: FeesManager, session: WriteSession) -> dict[str, int | None]:
    """Publish the arrears aggregate as a public notice (公示), without names. The notice is posted by the
    notices domain right after (outbox); `notice_id` is filled in on the disclosure record then."""
    row = fee_service.publish_arrears_disclosure(session, by=who, compound_id=body.compound_id, today=china_date())
    return {"disclosure_id": row.id, "notice_id": row.notice_id}


@router.get("/income", response_model=list[IncomeRead])
def income(who: CurrentPrincipal, session: ReadSession, compound_id: int) -> list[object]:
    """The owners' common-income ledger (R-M3), for owners and staff of the compound."""
    return list(fee_service.ledger(session, by=who, compound_id=compound_id)["rows"])


@router.post("/income", response_model=IncomeRead, status_code=201)
def add_income(body: IncomeCreate, who: FeesManager, session: WriteSession) -> object:
    """Record common income with its documented costs."""
    return fee_service.add_income(session, by=who, data=body)


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def export(
    who: FeesReader, session: ReadSession, compound_id: int, period: str | None = Query(default=None, max_length=7)
) -> Response:
    """Bills and payments as an Excel workbook."""
    data = export_workbook(session, by=who, compound_id=compound_id, period=period)
    name = f"fees-{compound_id}-{period or 'all'}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.put("/income-policy", response_model=IncomePolicyRead)
def set_income_policy(body: IncomePolicyBody, who: FeesManager, session: WriteSession) -> object:
    """R-M3 (Shanghai): where common income mainly funds repairs, the share (> 50 %) moved each quarter."""
    return repair_fund_service.set_policy(
        session, by=who, compound_id=body.compound_id, share_permille=body.share_permille, rule_ref=body.rule_ref
    )


@router.post("/repair-fund-transfers", response_model=RepairTransferRead, status_code=201)
def transfer_to_repair_fund(body: RepairTransferBody, who: FeesManager, session: WriteSession) -> object:
    """Move a finished quarter's share now (the quarterly job does the same); repeating it changes nothing."""
    row = repair_fund_service.transfer(
        session, by=who, compound_id=body.compound_id, quarter=body.quarter, today=china_date()
    )
    if row is None:
        raise Invalid("this compound has no repair-fund policy", zh="该小区未设置维修资金转入比例")
    return row


@router.get("/repair-fund-transfers", response_model=list[RepairTransferRead])
def repair_fund_transfers(who: CurrentPrincipal, session: ReadSession, compound_id: int) -> list[object]:
    """Quarterly transfers, visible to owners and staff of the compound like the ledger."""
    fee_service.ledger(session, by=who, compound_id=compound_id)  # the same visibility check
    return list(repair_fund_service.summary(session, compound_id)["transfers"])
