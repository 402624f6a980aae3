"""Fee API schemas. Amounts come in as yuan strings ("123.45") and go out as integer fen."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from anju.core.text import storable
from anju.fees.enums import FeeBasis, FeeKind, IncomeKind, PayChannel


def _all_storable(value: Any) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(_all_storable(k) and _all_storable(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_all_storable(v) for v in value)
    return True


class StorableBody(BaseModel):
    """A request body whose text can be stored and shown: NUL and unpaired surrogates ("\\ud800") are a 422."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        if not _all_storable(value):
            raise ValueError("text contains a NUL character or an unpaired surrogate")
        return value


class FeeItemCreate(StorableBody):
    compound_id: int
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1, max_length=64)
    kind: FeeKind
    basis: FeeBasis
    rate: str = Field(max_length=20, description="yuan per m² / house / vehicle per month, e.g. '2.35'")
    filing_ref: str = Field(default="", max_length=128)
    agreement_ref: str | None = Field(default=None, max_length=128)


class FeeItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    compound_id: int
    code: str
    name: str
    kind: str
    basis: str
    rate_fen: Decimal
    filing_ref: str
    agreement_ref: str | None
    active: bool


class BillingRunBody(StorableBody):
    compound_id: int
    period: str = Field(max_length=7, description="YYYY-MM")


class BillingRunRead(BaseModel):
    period: str
    created: int
    existing: int
    skipped_no_area: int
    developer_bills: int


class BillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    compound_id: int
    house_id: int
    item_id: int
    period: str
    payer_kind: str
    quantity: Decimal
    basis: dict[str, Any]
    amount_fen: int
    paid_fen: int
    refunded_fen: int
    status: str
    due_on: date


class BillList(BaseModel):
    items: list[BillRead]
    total: int


class CounterPaymentBody(StorableBody):
    amount: str = Field(max_length=20, description="yuan, e.g. '235.00'")
    channel: PayChannel = PayChannel.counter_cash


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    bill_id: int
    amount_fen: int
    channel: str
    provider: str
    provider_txn: str
    receipt_no: str
    created_at: datetime


class IntentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    order_no: str
    bill_id: int
    provider: str
    amount_fen: int
    status: str
    checkout_url: str = ""


class RefundBody(StorableBody):
    amount: str = Field(max_length=20)
    reason: str = Field(min_length=2, max_length=255)


class RefundRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    bill_id: int
    amount_fen: int
    reason: str
    receipt_no: str


class RemindersBody(StorableBody):
    compound_id: int
    period: str = Field(max_length=7)
    deadline: date


class RemindersRead(BaseModel):
    reminded: int
    already: int


class ArrearsSummary(BaseModel):
    houses: int
    bills: int
    amount_fen: int
    by_building: list[dict[str, Any]]


class DisclosureBody(StorableBody):
    compound_id: int


class IncomeCreate(StorableBody):
    compound_id: int
    occurred_on: date
    kind: IncomeKind
    description: str = Field(min_length=1, max_length=255)
    gross: str = Field(max_length=20)
    cost: str = Field(default="0", max_length=20)
    cost_doc: str | None = Field(default=None, max_length=128)


class IncomeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    occurred_on: date
    kind: str
    description: str
    gross_fen: int
    cost_fen: int
    cost_doc: str | None


class IncomePolicyBody(StorableBody):
    """R-M3 (Shanghai): the share of net common income moved to the repair fund each quarter."""

    compound_id: int
    share_permille: int = Field(gt=500, le=1000, description="more than 500‰ (one half), at most 1000‰")
    rule_ref: str = Field(min_length=2, max_length=128, description="owners' resolution or local rule")


class IncomePolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    compound_id: int
    repair_share_permille: int
    rule_ref: str


class RepairTransferBody(StorableBody):
    compound_id: int
    quarter: str = Field(pattern=r"^\d{4}Q[1-4]$", description="a finished quarter, e.g. 2026Q3")


class RepairTransferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    compound_id: int
    quarter: str
    net_fen: int
    share_permille: int
    amount_fen: int
    created_at: datetime
