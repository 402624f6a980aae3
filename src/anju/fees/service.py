"""Fee rules: items, idempotent monthly billing, payments (online and counter), refunds,
reminders, the arrears aggregate and the common-income ledger.

Money is integer fen. Every change to a bill's paid/refunded totals is one conditional
UPDATE (compare-and-set), so two cashiers, a replayed provider callback or two workers can
never pay a bill twice or refund more than was paid. There is deliberately no operation
that restricts water, power, heat or gas for arrears (R-M1): reminders are the only remedy.
"""

from __future__ import annotations

import calendar
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.permissions import AccountsPerm
from anju.analytics.permissions import AnalyticsPerm
from anju.core import events
from anju.core.audit import record_change
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Forbidden, NotFound
from anju.core.rbac import Permission
from anju.fees.enums import (
    COUNTER_CHANNELS,
    BillStatus,
    FeeBasis,
    FeeKind,
    IntentStatus,
    PayChannel,
    PayerKind,
)
from anju.fees.events import ArrearsReminderDue, FeesDisclosed
from anju.fees.exceptions import (
    AgreementRequired,
    BadAmount,
    BadPeriod,
    BadQuarter,
    BillAlreadyPaid,
    BillNotFound,
    DeadlineTooSoon,
    NotFiled,
    OnlinePaymentOff,
    OrderMismatch,
    OrderNotFound,
    Overpayment,
    RefundTooLarge,
)
from anju.fees.models import (
    ArrearsReminder,
    Bill,
    CommonIncome,
    FeeDisclosure,
    FeeItem,
    Payment,
    PaymentIntent,
    Refund,
)
from anju.fees.money import fen_of, parse_rate, parse_yuan, yuan
from anju.fees.permissions import FeesPerm
from anju.fees.providers import (
    Notification,
    callback_provider,
    online_provider,
    require_online_provider,
    simulated_provider,
)
from anju.fees.repository import FeeQuery, readable_bills
from anju.fees.schemas import FeeItemCreate, IncomeCreate
from anju.registry.enums import HouseStatus
from anju.registry.models import House, Vehicle

MIN_REMINDER_DAYS = 7  # R-M1: a reasonable deadline before anything else happens
MAX_REMINDER_DAYS = 366  # and not a date nobody will read (a deadline in year 9999 was accepted)
DISCLOSURE_EVERY_DAYS = 92  # R-M6: charges and common income are published at least quarterly
_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
# Billing years the fee rules accept: wide enough for any real ledger, narrow enough that every date
# computed from a period or a quarter (due dates, the month before, the quarter after) exists.
MIN_YEAR, MAX_YEAR = 1990, 2199


def check_year(year: int, *, field: str, error: type[BadPeriod] | type[BadQuarter] = BadPeriod) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise error(
            f"year {year} is out of range ({MIN_YEAR}–{MAX_YEAR})",
            zh=f"年份 {year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）",
            fields=[{"field": field, "message": f"year {MIN_YEAR}..{MAX_YEAR}"}],
        )
    return year


def parse_period(period: str) -> tuple[int, int]:
    m = _PERIOD.fullmatch(period or "")
    if m is None:
        raise BadPeriod(fields=[{"field": "period", "message": "YYYY-MM"}])
    return check_year(int(m.group(1)), field="period"), int(m.group(2))


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(period: str) -> str:
    y, m = parse_period(period)
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def due_date(period: str) -> date:
    """Bills fall due on the last day of their month."""
    y, m = parse_period(period)
    return date(y, m, calendar.monthrange(y, m)[1])


def _receipt_no(prefix: str) -> str:
    return f"{prefix}{utcnow():%Y%m%d}-{secrets.token_hex(5).upper()}"


def staff_scope(who: Principal, compound_id: int, perm: Permission) -> None:
    """Staff holding `perm` in that compound (403 for the role, 404 out of scope)."""
    who.require(perm)
    if not who.is_staff:
        raise Forbidden(f"role {who.role.value} may not {perm.value}", zh="仅物业工作人员可操作")
    if not who.in_scope(compound_id):
        raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")


@dataclass
class BillingResult:
    period: str
    created: int
    existing: int
    skipped_no_area: int
    developer_bills: int


class FeeService:
    # --- items ---------------------------------------------------------------------------------
    def create_item(self, session: Session, *, by: Principal | None, data: FeeItemCreate) -> FeeItem:
        """R-M5: only filed items; R-M2: per-house amounts only with the owners' agreement on record."""
        if by is not None:
            staff_scope(by, data.compound_id, FeesPerm.manage)
        if not data.filing_ref.strip():
            raise NotFiled(fields=[{"field": "filing_ref", "message": "required"}])
        if (
            data.basis == FeeBasis.per_house
            and data.kind == FeeKind.property
            and not (data.agreement_ref or "").strip()
        ):
            raise AgreementRequired(fields=[{"field": "agreement_ref", "message": "required"}])
        rate = parse_rate(data.rate)
        item = FeeItem(
            compound_id=data.compound_id,
            code=data.code,
            name=data.name,
            kind=data.kind.value,
            basis=data.basis.value,
            rate_fen=rate,
            filing_ref=data.filing_ref.strip(),
            agreement_ref=(data.agreement_ref or "").strip() or None,
        )
        try:
            with session.begin_nested():
                session.add(item)
                session.flush()
        except IntegrityError:
            raise BadAmount(
                f"fee item code {data.code} exists",
                zh="收费项目编码已存在",
                fields=[{"field": "code", "message": "exists"}],
            ) from None
        if by is not None:
            record_change(
                session,
                user_id=by.user_id,
                compound_id=item.compound_id,
                entity="fee_item",
                entity_id=item.id,
                action="create",
                before=None,
                after={
                    "code": item.code,
                    "rate_fen": str(item.rate_fen),
                    "basis": item.basis,
                    "filing_ref": item.filing_ref,
                    "agreement_ref": item.agreement_ref,
                },
            )
        return item

    # --- billing -------------------------------------------------------------------------------
    def run_billing(self, session: Session, *, by: Principal | None, compound_id: int, period: str) -> BillingResult:
        """Bill every house for every active item for one month. Running it again adds nothing:
        the unique (house, item, month) key is the arbiter, also between two concurrent runs."""
        if by is not None:
            staff_scope(by, compound_id, FeesPerm.manage)
        due = due_date(period)
        items = FeeQuery(session).items(compound_id)
        houses = (
            session.execute(select(House).where(House.compound_id == compound_id).order_by(House.id)).scalars().all()
        )
        vehicles = dict(
            session.execute(
                select(Vehicle.house_id, func.count())
                .where(Vehicle.compound_id == compound_id, Vehicle.active.is_(True), Vehicle.house_id.is_not(None))
                .group_by(Vehicle.house_id)
            ).all()
        )
        existing = {
            (h, i)
            for h, i in session.execute(
                select(Bill.house_id, Bill.item_id).where(Bill.compound_id == compound_id, Bill.period == period)
            )
        }
        rows: list[dict[str, Any]] = []
        skipped = developer = 0
        now = utcnow()
        for h in houses:
            payer = PayerKind.developer if h.status == HouseStatus.developer_unsold else PayerKind.owner
            for item in items:
                if (h.id, item.id) in existing:
                    continue
                line = self._line(h, item, vehicles.get(h.id, 0))
                if line is None:
                    skipped += item.basis == FeeBasis.per_area
                    continue
                qty, basis = line
                amount = fen_of(qty, item.rate_fen)
                if amount <= 0:
                    continue
                developer += payer == PayerKind.developer
                rows.append(
                    {
                        "compound_id": compound_id,
                        "house_id": h.id,
                        "item_id": item.id,
                        "period": period,
                        "payer_kind": payer.value,
                        "quantity": qty,
                        "basis": basis,
                        "amount_fen": amount,
                        "paid_fen": 0,
                        "refunded_fen": 0,
                        "status": BillStatus.open.value,
                        "due_on": due,
                        "created_at": now,
                    }
                )
        created = self._insert_bills(session, rows)
        return BillingResult(
            period=period,
            created=created,
            existing=len(existing) + len(rows) - created,
            skipped_no_area=skipped,
            developer_bills=developer,
        )

    def _line(self, h: House, item: FeeItem, vehicles: int) -> tuple[Decimal, dict[str, Any]] | None:
        """Quantity and the record of how it was computed, or None when it cannot be billed."""
        basis: dict[str, Any] = {"basis": item.basis, "rate_fen": str(item.rate_fen), "filing_ref": item.filing_ref}
        if item.basis == FeeBasis.per_area:
            area, source = h.exclusive_area
            if area is None or source is None:
                return None
            return Decimal(area), {**basis, "area": str(area), "area_source": source.value}
        if item.basis == FeeBasis.per_vehicle:
            return (Decimal(vehicles), {**basis, "vehicles": vehicles}) if vehicles else None
        return Decimal(1), {**basis, "agreement_ref": item.agreement_ref}

    def _insert_bills(self, session: Session, rows: list[dict[str, Any]]) -> int:
        """One bulk INSERT … ON CONFLICT DO NOTHING; returns how many rows were new."""
        if not rows:
            return 0
        from sqlalchemy.dialects import postgresql, sqlite

        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        table = Bill.__table__
        stmt = (
            insert(table).on_conflict_do_nothing(index_elements=["house_id", "item_id", "period"]).returning(table.c.id)
        )
        created = 0
        for k in range(0, len(rows), 1000):
            # RETURNING lists only the rows this statement inserted (rowcount is unreliable for batches).
            created += len(session.execute(stmt, rows[k : k + 1000]).all())
        return created

    # --- reading -------------------------------------------------------------------------------
    def open_bill_count(self, session: Session, *, by: Principal) -> int:
        """Unpaid bills the caller may read (the resident H5 home's counter)."""
        return FeeQuery(session).bill_rows(by, status=BillStatus.open.value, limit=1)[1]

    def get_bill(self, session: Session, *, by: Principal, bill_id: int) -> Bill:
        """A bill the caller may see; anybody else's bill is 404 (no hint it exists)."""
        bill = session.execute(readable_bills(by).where(Bill.id == bill_id)).scalar_one_or_none()
        if bill is None:
            raise BillNotFound()
        return bill

    # --- paying --------------------------------------------------------------------------------
    def counter_payment(
        self,
        session: Session,
        *,
        by: Principal,
        bill_id: int,
        amount: str,
        channel: PayChannel = PayChannel.counter_cash,
    ) -> Payment:
        """R-M7: the staffed counter (cash, card, staff-assisted) always exists beside the app."""
        bill = self.get_bill(session, by=by, bill_id=bill_id)
        staff_scope(by, bill.compound_id, FeesPerm.collect)
        if channel not in COUNTER_CHANNELS:
            raise BadAmount(
                "channel must be a counter channel",
                zh="柜台收费方式无效",
                fields=[{"field": "channel", "message": "counter only"}],
            )
        fen = parse_yuan(amount)
        return self._apply(
            session, bill, fen, channel=channel, provider="counter", txn="C" + secrets.token_hex(12), user_id=by.user_id
        )

    def open_online(self, session: Session, *, by: Principal, bill_id: int) -> PaymentIntent:
        """The payer's own bill only; the order is for exactly what is still owed, with the configured
        provider (409 when online payment is off: never the simulated provider in a deployment)."""
        by.require(AccountsPerm.self_service)
        bill = self.get_bill(session, by=by, bill_id=bill_id)
        if bill.status == BillStatus.paid:
            raise BillAlreadyPaid()
        provider = require_online_provider()
        intent = PaymentIntent(
            compound_id=bill.compound_id,
            order_no="P" + secrets.token_hex(12).upper(),
            bill_id=bill.id,
            provider=provider.name,
            amount_fen=bill.amount_fen - bill.paid_fen,
            user_id=by.user_id,
        )
        session.add(intent)
        session.flush()
        return intent

    def intent_of(self, session: Session, *, by: Principal, order_no: str) -> PaymentIntent:
        intent = session.execute(select(PaymentIntent).where(PaymentIntent.order_no == order_no)).scalar_one_or_none()
        if intent is None or intent.user_id != by.user_id:
            raise OrderNotFound()
        return intent

    def handle_callback(self, session: Session, *, provider: str, body: bytes, signature: str) -> Payment | None:
        """A provider's signed notification. Replays (same transaction id) return the first payment."""
        note = callback_provider(provider).verify(body, signature)
        return self.settle(session, provider=provider, note=note)

    def require_simulated(self, intent: PaymentIntent) -> None:
        """409 unless this order belongs to the simulated provider and that provider is the one in use."""
        if intent.provider != simulated_provider.name or online_provider() is not simulated_provider:
            raise OnlinePaymentOff(
                "the simulated checkout is disabled: no payment was made",
                zh="模拟支付已停用，未发生任何缴费；请到物业服务中心柜台缴纳",
            )

    def simulated_checkout(self, session: Session, *, by: Principal, order_no: str, pay: bool) -> PaymentIntent:
        """The payer confirms (or cancels) on the simulated provider's page; it then notifies us through
        the same verify-and-settle path as a real provider's callback. Development and the demo only:
        anywhere the simulated provider is not the provider in use this is 409 and nothing is paid."""
        intent = self.intent_of(session, by=by, order_no=order_no)
        self.require_simulated(intent)
        if intent.status != IntentStatus.pending:
            return intent  # already settled (a second click, the back button): nothing to do
        body, signature = simulated_provider.notification(
            order_no=intent.order_no, amount_fen=intent.amount_fen, success=pay
        )
        self.handle_callback(session, provider=intent.provider, body=body, signature=signature)
        return intent

    def settle(self, session: Session, *, provider: str, note: Notification) -> Payment | None:
        prior = self._payment_by_txn(session, provider, note.txn_id)
        if prior is not None:
            return prior
        intent = session.execute(
            select(PaymentIntent).where(PaymentIntent.order_no == note.order_no, PaymentIntent.provider == provider)
        ).scalar_one_or_none()
        if intent is None:
            raise OrderNotFound()
        if note.amount_fen != intent.amount_fen:
            raise OrderMismatch(f"amount {note.amount_fen} != order {intent.amount_fen}")
        target = IntentStatus.succeeded if note.success else IntentStatus.failed
        won = session.execute(
            update(PaymentIntent)
            .where(PaymentIntent.id == intent.id, PaymentIntent.status == IntentStatus.pending.value)
            .values(status=target.value, completed_at=utcnow())
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            # Another delivery of this order finished first: report what it recorded.
            prior = self._payment_by_txn(session, provider, note.txn_id)
            if prior is not None:
                return prior
            session.refresh(intent)
            if intent.status == IntentStatus.failed or not note.success:
                return None
            raise OrderMismatch("the order was already settled with another transaction", zh="该订单已由另一笔交易完成")
        if not note.success:
            return None
        bill = session.get(Bill, intent.bill_id)
        assert bill is not None
        return self._apply(
            session,
            bill,
            note.amount_fen,
            channel=PayChannel.online,
            provider=provider,
            txn=note.txn_id,
            user_id=intent.user_id,
        )

    def _payment_by_txn(self, session: Session, provider: str, txn: str) -> Payment | None:
        return session.execute(
            select(Payment).where(Payment.provider == provider, Payment.provider_txn == txn)
        ).scalar_one_or_none()

    def _apply(
        self,
        session: Session,
        bill: Bill,
        fen: int,
        *,
        channel: PayChannel,
        provider: str,
        txn: str,
        user_id: int | None,
    ) -> Payment:
        """Record the payment and move the bill's total in one compare-and-set."""
        if bill.status == BillStatus.paid:
            raise BillAlreadyPaid()
        try:
            with session.begin_nested():
                payment = Payment(
                    compound_id=bill.compound_id,
                    bill_id=bill.id,
                    amount_fen=fen,
                    channel=channel.value,
                    provider=provider,
                    provider_txn=txn,
                    receipt_no=_receipt_no("R"),
                    user_id=user_id,
                )
                session.add(payment)
                session.flush()
        except IntegrityError:
            prior = self._payment_by_txn(session, provider, txn)
            if prior is None:
                raise
            return prior
        new_paid = Bill.paid_fen + fen
        res = session.execute(
            update(Bill)
            .where(Bill.id == bill.id, Bill.status == BillStatus.open.value, Bill.paid_fen + fen <= Bill.amount_fen)
            .values(
                paid_fen=new_paid,
                status=case((new_paid >= Bill.amount_fen, BillStatus.paid.value), else_=BillStatus.open.value),
                paid_at=case((new_paid >= Bill.amount_fen, utcnow()), else_=Bill.paid_at),
            )
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(bill)
            if bill.status == BillStatus.paid:
                raise BillAlreadyPaid()
            raise Overpayment(
                f"at most {yuan(bill.amount_fen - bill.paid_fen)} yuan is due",
                zh=f"最多应缴 {yuan(bill.amount_fen - bill.paid_fen)} 元",
            )
        session.refresh(bill)
        return payment

    # --- refunds -------------------------------------------------------------------------------
    def refund(self, session: Session, *, by: Principal, bill_id: int, amount: str, reason: str) -> Refund:
        """R-M5: refunds for overcharges or unserved prepaid months, never more than was paid."""
        bill = self.get_bill(session, by=by, bill_id=bill_id)
        staff_scope(by, bill.compound_id, FeesPerm.manage)
        fen = parse_yuan(amount)
        res = session.execute(
            update(Bill)
            .where(Bill.id == bill.id, Bill.paid_fen - Bill.refunded_fen >= fen)
            .values(refunded_fen=Bill.refunded_fen + fen)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(bill)
            raise RefundTooLarge(
                f"at most {yuan(bill.paid_fen - bill.refunded_fen)} yuan can be refunded",
                zh=f"最多可退 {yuan(bill.paid_fen - bill.refunded_fen)} 元",
            )
        r = Refund(
            compound_id=bill.compound_id,
            bill_id=bill.id,
            amount_fen=fen,
            reason=reason.strip(),
            receipt_no=_receipt_no("F"),
            user_id=by.user_id,
        )
        session.add(r)
        session.flush()
        session.refresh(bill)
        record_change(
            session,
            user_id=by.user_id,
            compound_id=bill.compound_id,
            entity="fee_bill",
            entity_id=bill.id,
            action="refund",
            before=None,
            after={"refund_fen": fen, "reason": r.reason},
        )
        return r

    # --- arrears -------------------------------------------------------------------------------
    def arrears(self, session: Session, *, by: Principal | None, compound_id: int, today: date) -> dict[str, Any]:
        """Aggregates only: counts and amounts, overall and per building; never names or house numbers."""
        if by is not None:
            by.require(FeesPerm.read) if by.is_staff else by.require(AnalyticsPerm.read)
            if not by.in_scope(compound_id):
                raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        return FeeQuery(session).arrears(compound_id, today=today)

    def send_reminders(
        self, session: Session, *, by: Principal | None, compound_id: int, period: str, deadline: date, today: date
    ) -> tuple[int, int]:
        """A private in-app reminder with a deadline to each owing household (R-M1), once per month.
        The reminders are events (fees.ArrearsReminderDue); the notices domain delivers them."""
        if by is not None:
            staff_scope(by, compound_id, FeesPerm.manage)
        parse_period(period)
        if deadline < today + timedelta(days=MIN_REMINDER_DAYS):
            raise DeadlineTooSoon(
                f"the deadline must be at least {MIN_REMINDER_DAYS} days away",
                zh=f"催缴期限至少 {MIN_REMINDER_DAYS} 天",
                fields=[{"field": "deadline", "message": "too soon"}],
            )
        if deadline > today + timedelta(days=MAX_REMINDER_DAYS):
            raise DeadlineTooSoon(
                f"the deadline must be within {MAX_REMINDER_DAYS} days",
                zh=f"催缴期限不能超过 {MAX_REMINDER_DAYS} 天",
                fields=[{"field": "deadline", "message": "too far"}],
            )
        owed = session.execute(
            select(Bill.house_id, func.sum(Bill.amount_fen - Bill.paid_fen))
            .where(
                Bill.compound_id == compound_id,
                Bill.period == period,
                Bill.status == BillStatus.open.value,
                Bill.payer_kind == PayerKind.owner.value,
            )
            .group_by(Bill.house_id)
            .order_by(Bill.house_id)
        ).all()
        done = set(
            session.execute(
                select(ArrearsReminder.house_id).where(
                    ArrearsReminder.compound_id == compound_id, ArrearsReminder.period == period
                )
            ).scalars()
        )
        online = online_provider() is not None
        where_zh = "通过线上或物业服务中心柜台" if online else "到物业服务中心柜台"
        where_en = "online or at the service counter" if online else "at the service counter"
        sent = 0
        for house_id, amount in owed:
            if house_id in done:
                continue
            reminder = ArrearsReminder(
                compound_id=compound_id,
                house_id=house_id,
                period=period,
                amount_fen=int(amount),
                deadline=deadline,
                notice_id=None,  # set when the notices domain reports the notice (NoticePublished)
            )
            session.add(reminder)
            session.flush()
            # Delivered by the notices domain through the outbox: it exists only if this commits.
            events.publish(
                session,
                ArrearsReminderDue(
                    reminder_id=reminder.id,
                    compound_id=compound_id,
                    house_id=house_id,
                    title=f"{period} 物业费缴费提醒 / Fee reminder",
                    body=(
                        f"您家 {period} 账单尚有 {yuan(int(amount))} 元未缴，请于 {deadline.isoformat()} 前{where_zh}缴纳。"
                        f"如有疑问请联系物业。\nYour {period} bills have {yuan(int(amount))} yuan outstanding; please pay "
                        f"{where_en} by {deadline.isoformat()}."
                    ),
                ),
                compound_id=compound_id,
            )
            sent += 1
        session.flush()
        return sent, len(done)

    def publish_arrears_disclosure(self, session: Session, *, by: Principal, compound_id: int, today: date) -> Any:
        """A public 公示 of arrears as aggregates only: no names, no house numbers."""
        staff_scope(by, compound_id, FeesPerm.manage)
        agg = self.arrears(session, by=by, compound_id=compound_id, today=today)
        lines = [f"{b['building']}：{b['houses']} 户，{yuan(b['amount_fen'])} 元" for b in agg["by_building"]]
        body = (
            f"截至 {today.isoformat()}，本小区逾期未缴物业费 {agg['houses']} 户，合计 {yuan(agg['amount_fen'])} 元。\n"
            + "\n".join(lines)
            + "\n（仅公示汇总数据，不公布个人信息。）"
        )
        return self._disclose(
            session,
            by=by,
            compound_id=compound_id,
            kind="arrears",
            title=f"物业费收缴情况公示（{today.isoformat()}）",
            body=body,
        )

    def publish_income_report(self, session: Session, *, by: Principal, compound_id: int, today: date) -> Any:
        """R-M3/R-M6: the common-income ledger published to owners (公示), lines and net total."""
        staff_scope(by, compound_id, FeesPerm.manage)
        led = self.ledger(session, by=by, compound_id=compound_id)
        lines = [
            f"{r.occurred_on.isoformat()} {r.description}：收入 {yuan(r.gross_fen)} 元，成本 {yuan(r.cost_fen)} 元"
            for r in led["rows"]
        ]
        body = (
            f"截至 {today.isoformat()}，公共收益合计收入 {yuan(led['gross_fen'])} 元，扣除有据成本 "
            f"{yuan(led['cost_fen'])} 元，净收益 {yuan(led['net_fen'])} 元，归全体业主所有。\n" + "\n".join(lines)
        )
        return self._disclose(
            session,
            by=by,
            compound_id=compound_id,
            kind="income",
            title=f"公共收益公示（{today.isoformat()}）",
            body=body,
        )

    def _disclose(
        self, session: Session, *, by: Principal, compound_id: int, kind: str, title: str, body: str
    ) -> FeeDisclosure:
        """Record the publication and hand it to the notices domain through the outbox (fees.FeesDisclosed)."""
        row = FeeDisclosure(compound_id=compound_id, kind=kind, title=title[:128], user_id=by.user_id)
        session.add(row)
        session.flush()
        events.publish(
            session,
            FeesDisclosed(
                disclosure_id=row.id,
                compound_id=compound_id,
                title=row.title,
                body=body[:5000],
                user_id=by.user_id,
            ),
            compound_id=compound_id,
        )
        session.flush()
        return row

    def last_disclosure(self, session: Session, *, compound_id: int, today: date) -> dict[str, Any]:
        """R-M6: when fees/income were last published, and whether the quarterly publication is overdue."""
        last = session.execute(
            select(func.max(FeeDisclosure.published_at)).where(FeeDisclosure.compound_id == compound_id)
        ).scalar_one()
        overdue = last is None or (today - last.date()).days > DISCLOSURE_EVERY_DAYS
        return {"last": last, "overdue": overdue}

    # --- common income -------------------------------------------------------------------------
    def add_income(self, session: Session, *, by: Principal | None, data: IncomeCreate) -> CommonIncome:
        """R-M3: the owners' separate ledger, net of documented costs."""
        if by is not None:
            staff_scope(by, data.compound_id, FeesPerm.manage)
        gross = parse_yuan(data.gross, field="gross")
        cost = 0 if str(data.cost).strip() in ("", "0", "0.00") else parse_yuan(data.cost, field="cost")
        if cost and not (data.cost_doc or "").strip():
            raise BadAmount(
                "a cost needs its document (invoice or contract)",
                zh="扣除成本须注明凭证",
                fields=[{"field": "cost_doc", "message": "required"}],
            )
        if cost > gross:
            raise BadAmount(
                "cost exceeds gross income",
                zh="成本不能超过收入",
                fields=[{"field": "cost", "message": "exceeds gross"}],
            )
        row = CommonIncome(
            compound_id=data.compound_id,
            occurred_on=data.occurred_on,
            kind=data.kind.value,
            description=data.description,
            gross_fen=gross,
            cost_fen=cost,
            cost_doc=(data.cost_doc or "").strip() or None,
            user_id=by.user_id if by else None,
        )
        session.add(row)
        session.flush()
        return row

    def ledger(self, session: Session, *, by: Principal, compound_id: int) -> dict[str, Any]:
        """Visible to owners of the compound and to its staff."""
        if not by.in_scope(compound_id) or not (by.can(FeesPerm.read) or by.can(AccountsPerm.self_service)):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        rows = FeeQuery(session).income(compound_id)
        gross = sum(r.gross_fen for r in rows)
        cost = sum(r.cost_fen for r in rows)
        from anju.fees.repair_fund import repair_fund_service  # builds on this module

        moved = repair_fund_service.summary(session, compound_id)["transferred_fen"]
        return {
            "rows": rows,
            "gross_fen": gross,
            "cost_fen": cost,
            "net_fen": gross - cost,
            "repair_fund_fen": moved,
            "balance_fen": gross - cost - moved,
        }


fee_service = FeeService()
__all__ = ["fee_service", "parse_period", "period_of", "previous_period", "simulated_provider", "staff_scope"]


def collected_fen(session: Session, *, compound_id: int, start: datetime, end: datetime) -> int:
    """Money received for a compound's bills in [start, end), less refunds in the same span (fen)."""
    paid = session.execute(
        select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
            Payment.compound_id == compound_id, Payment.created_at >= start, Payment.created_at < end
        )
    ).scalar_one()
    refunded = session.execute(
        select(func.coalesce(func.sum(Refund.amount_fen), 0)).where(
            Refund.compound_id == compound_id, Refund.created_at >= start, Refund.created_at < end
        )
    ).scalar_one()
    return int(paid) - int(refunded)


def collection_facts(session: Session, *, compound_ids: list[int], period: str) -> dict[int, tuple[int, int]]:
    """For aggregate views (the street office): per compound, (collected, billed) in fen over the bills of one
    period "YYYY-MM": Σ(paid − refunded) and Σ amount. The collection rate is their ratio."""
    parse_period(period)
    out = dict.fromkeys(compound_ids, (0, 0))
    rows = session.execute(
        select(
            Bill.compound_id,
            func.coalesce(func.sum(Bill.paid_fen - Bill.refunded_fen), 0),
            func.coalesce(func.sum(Bill.amount_fen), 0),
        )
        .where(Bill.compound_id.in_(compound_ids), Bill.period == period)
        .group_by(Bill.compound_id)
    )
    for c, paid, billed in rows:
        out[int(c)] = (int(paid), int(billed))
    return out
