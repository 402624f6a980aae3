"""fees: fee items, monthly bills, payments and the simulated provider's orders, refunds,
arrears reminders and the owners' common-income ledger. Money is integer fen throughout."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin


class FeeItem(CompoundScopedMixin, Base):
    """A chargeable item. `filing_ref` names the contract clause or price filing (R-M5)."""

    __tablename__ = "fee_item"
    __table_args__ = (UniqueConstraint("compound_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # FeeKind
    basis: Mapped[str] = mapped_column(String(16))  # FeeBasis
    rate_fen: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # fen per m² / house / vehicle per month
    filing_ref: Mapped[str] = mapped_column(String(128))
    agreement_ref: Mapped[str | None] = mapped_column(String(128))  # owners' resolution for an agreed formula
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Bill(CompoundScopedMixin, Base):
    """One item for one house for one month; the unique key makes billing runs idempotent."""

    __tablename__ = "fee_bill"
    __table_args__ = (
        UniqueConstraint("house_id", "item_id", "period"),
        Index("ix_fee_bill_compound_period", "compound_id", "period", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("fee_item.id"))
    period: Mapped[str] = mapped_column(String(7))  # "2026-11"
    payer_kind: Mapped[str] = mapped_column(String(16))  # PayerKind
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 2))  # m², 1 house, or vehicles
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)  # rate, area source, agreement: how it was computed
    amount_fen: Mapped[int] = mapped_column(Integer)
    paid_fen: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(8), default="open")  # BillStatus
    due_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentIntent(CompoundScopedMixin, Base):
    """An order opened with an online provider; its callback completes it (once)."""

    __tablename__ = "fee_payment_intent"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(40), unique=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("fee_bill.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # IntentStatus
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Payment(CompoundScopedMixin, Base):
    """Money received for a bill. (provider, provider_txn) is unique: a replayed callback pays nothing."""

    __tablename__ = "fee_payment"
    __table_args__ = (UniqueConstraint("provider", "provider_txn"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("fee_bill.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))  # PayChannel
    provider: Mapped[str] = mapped_column(String(16))  # "sim" or "counter"
    provider_txn: Mapped[str] = mapped_column(String(64))
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # payer online, or the cashier
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Refund(CompoundScopedMixin, Base):
    """Money returned (R-M5: overcharges, prepaid unserved periods); never more than was paid."""

    __tablename__ = "fee_refund"
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("fee_bill.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(255))
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArrearsReminder(CompoundScopedMixin, Base):
    """A reminder with a deadline sent to one household for one month (R-M1: a reminder, never a cut-off)."""

    __tablename__ = "fee_arrears_reminder"
    __table_args__ = (UniqueConstraint("house_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date] = mapped_column(Date)
    notice_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FeeDisclosure(CompoundScopedMixin, Base):
    """A publication (公示) of fees or common income (R-M6): the fees domain's own record of when it
    published what; the notices domain posts it (fees.FeesDisclosed) and reports the notice id back."""

    __tablename__ = "fee_disclosure"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # arrears | income
    title: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    notice_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)


class CommonIncome(CompoundScopedMixin, Base):
    """A line of the owners' common-income ledger (R-M3): gross, documented costs, net."""

    __tablename__ = "fee_common_income"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(24))  # IncomeKind
    description: Mapped[str] = mapped_column(String(255))
    gross_fen: Mapped[int] = mapped_column(Integer)
    cost_fen: Mapped[int] = mapped_column(Integer, default=0)
    cost_doc: Mapped[str | None] = mapped_column(String(128))  # the invoice/contract behind the cost
    note: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A line booked from another domain's event (e.g. "parking:<payment ref>"): unique, so a replay books nothing.
    source_ref: Mapped[str | None] = mapped_column(String(80), unique=True)


class IncomePolicy(CompoundScopedMixin, Base):
    """How a compound splits its common income (R-M3, Shanghai 上海规定 第51条).

    Where common income mainly funds repairs, more than half of each quarter's net
    income moves to the repair fund; `repair_share_permille` says how much (501–1000).
    """

    __tablename__ = "fee_income_policy"
    __table_args__ = (UniqueConstraint("compound_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    repair_share_permille: Mapped[int] = mapped_column(Integer)
    rule_ref: Mapped[str] = mapped_column(String(128))  # the owners' resolution or local rule it follows
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RepairFundTransfer(CompoundScopedMixin, Base):
    """One quarter's move of common income to the repair fund; at most one per compound and quarter."""

    __tablename__ = "fee_repair_fund_transfer"
    __table_args__ = (UniqueConstraint("compound_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7))  # "2026Q3"
    net_fen: Mapped[int] = mapped_column(Integer)  # the quarter's net common income
    share_permille: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: the quarterly job
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Deposit(CompoundScopedMixin, Base):
    """A deposit held for a house (issue 18: the decoration deposit), keyed by the record it secures.

    `source` ("decoration:12") is unique: a replayed event never charges twice. Settling it records the
    deductions (each with its reason) and refunds the rest, once (compare-and-set on `status`).
    """

    __tablename__ = "fee_deposit"
    __table_args__ = (
        UniqueConstraint("source"),
        CheckConstraint(
            "deducted_fen >= 0 AND refunded_fen >= 0 AND deducted_fen + refunded_fen <= amount_fen",
            name="settled_within_amount",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("house.id"), index=True)
    source: Mapped[str] = mapped_column(String(48))
    purpose: Mapped[str] = mapped_column(String(64))  # "装修押金"
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="held")  # DepositState
    deducted_fen: Mapped[int] = mapped_column(Integer, default=0)
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0)
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    charged_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DepositEntry(CompoundScopedMixin, Base):
    """One movement of a deposit: the charge, each deduction with its reason, the refund."""

    __tablename__ = "fee_deposit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("fee_deposit.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # charge | deduction | refund
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(255), default="")
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Wallet(CompoundScopedMixin, Base):
    """A resident's prepaid balance in one compound (issue 18: e-bike charging); never below zero."""

    __tablename__ = "fee_wallet"
    __table_args__ = (
        UniqueConstraint("compound_id", "user_id"),
        CheckConstraint("balance_fen >= 0", name="balance_not_negative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    balance_fen: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WalletEntry(CompoundScopedMixin, Base):
    """One movement of a wallet (signed fen). `source_key` is unique: a retried debit or refund happens once."""

    __tablename__ = "fee_wallet_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("fee_wallet.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # topup | debit | credit
    amount_fen: Mapped[int] = mapped_column(Integer)  # + into the wallet, - out of it
    source_key: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(255), default="")
    receipt_no: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # who made it (a cashier, the payer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProviderRefund(CompoundScopedMixin, Base):
    """Money sent back to a payer through the payment provider's refund call (issue 18: the unused part of a
    charging session paid on its own).

    `source_key` ("charging:12:refund") is unique: whatever owes the refund records it once, however often it is
    retried. `refund_no` is our refund number, drawn once with the row: the provider is always asked with it, and
    providers treat it as the idempotency key (WeChat Pay's out_refund_no, Alipay's out_request_no), so a retried
    call refunds once. Recorded as `pending` in the transaction that owes it; the job `fees.send_refunds` calls the
    provider after the commit (a lease in `claimed_until`) and marks it `done` with the provider's refund id.
    """

    __tablename__ = "fee_provider_refund"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source_key: Mapped[str] = mapped_column(String(64), unique=True)
    refund_no: Mapped[str] = mapped_column(String(40), unique=True)  # also the payer's receipt number
    provider: Mapped[str] = mapped_column(String(16))
    txn_id: Mapped[str] = mapped_column(String(64))  # the payment being refunded (the provider's transaction)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # the payer
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # ProviderRefundStatus
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
