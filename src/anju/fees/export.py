"""Excel export of bills and payments (openpyxl), one workbook per compound and month."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import sheets
from anju.core.auth import Principal
from anju.fees.models import Bill, FeeItem, Payment, Refund
from anju.fees.money import yuan
from anju.fees.permissions import FeesPerm
from anju.fees.service import parse_period, staff_scope
from anju.registry.models import House


def export_workbook(session: Session, *, by: Principal, compound_id: int, period: str | None) -> bytes:
    """Sheets 账单 (bills) and 收款 (payments, refunds); amounts in yuan with two decimals."""
    staff_scope(by, compound_id, FeesPerm.read)
    if period:
        parse_period(period)
    # Write-only, every cell through the shared guard (anju.core.sheets): a fee item or refund reason
    # starting with "=", "+", "-", "@" stays text, and a control character cannot fail the export.
    wb = Workbook(write_only=True)
    bills = wb.create_sheet("账单 Bills")
    sheets.append_row(
        bills,
        [
            "账单号 id",
            "账期 period",
            "房屋 house",
            "项目 item",
            "付费方 payer",
            "数量 quantity",
            "应收 amount",
            "已收 paid",
            "已退 refunded",
            "状态 status",
            "到期 due",
        ],
    )
    q = (
        select(Bill, House.label, FeeItem.name)
        .join(House, House.id == Bill.house_id)
        .join(FeeItem, FeeItem.id == Bill.item_id)
        .where(Bill.compound_id == compound_id)
        .order_by(Bill.period, House.label, Bill.id)
    )
    if period:
        q = q.where(Bill.period == period)
    for b, label, item in session.execute(q):
        sheets.append_row(
            bills,
            [
                b.id,
                b.period,
                label,
                item,
                b.payer_kind,
                float(b.quantity),
                yuan(b.amount_fen),
                yuan(b.paid_fen),
                yuan(b.refunded_fen),
                b.status,
                b.due_on.isoformat(),
            ],
        )
    pays = wb.create_sheet("收款 Payments")
    sheets.append_row(
        pays,
        [
            "收据号 receipt",
            "账单号 bill",
            "账期 period",
            "房屋 house",
            "方式 channel",
            "金额 amount",
            "流水号 transaction",
            "时间 time (UTC)",
        ],
    )
    pq = (
        select(Payment, Bill.period, House.label)
        .join(Bill, Bill.id == Payment.bill_id)
        .join(House, House.id == Bill.house_id)
        .where(Payment.compound_id == compound_id)
        .order_by(Payment.id)
    )
    rq = (
        select(Refund, Bill.period, House.label)
        .join(Bill, Bill.id == Refund.bill_id)
        .join(House, House.id == Bill.house_id)
        .where(Refund.compound_id == compound_id)
        .order_by(Refund.id)
    )
    if period:
        pq, rq = pq.where(Bill.period == period), rq.where(Bill.period == period)
    for p, per, label in session.execute(pq):
        sheets.append_row(
            pays,
            [
                p.receipt_no,
                p.bill_id,
                per,
                label,
                p.channel,
                yuan(p.amount_fen),
                p.provider_txn,
                p.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            ],
        )
    for r, per, label in session.execute(rq):
        sheets.append_row(
            pays,
            [
                r.receipt_no,
                r.bill_id,
                per,
                label,
                "refund",
                yuan(-r.amount_fen),
                r.reason,
                r.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            ],
        )
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
