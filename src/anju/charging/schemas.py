"""Charging API schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from anju.charging.enums import PayMethod, StartMode
from anju.core.schemas import InSchema, Schema


class StartIn(InSchema):
    socket: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")  # the device key on its QR
    mode: StartMode = StartMode.duration
    hours: int | None = Field(None, ge=1, le=12)
    pay: PayMethod = PayMethod.wallet  # "single": this session paid on its own, no wallet
    request_key: str | None = Field(None, min_length=8, max_length=24, pattern=r"^[A-Za-z0-9_-]+$")


class CounterTopUpIn(InSchema):
    compound_id: int
    card_uid: str = Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9]+$")
    amount_fen: int = Field(gt=0, le=100_000)
    request_key: str = Field(min_length=8, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")


class CardIn(InSchema):
    compound_id: int
    card_uid: str = Field(min_length=4, max_length=32, pattern=r"^[A-Za-z0-9]+$")


class TariffIn(InSchema):
    fen_per_hour: int = Field(ge=0, le=10_000)
    full_max_minutes: int = Field(480, ge=60, le=720)
    to_common_income: bool = False
    rule_ref: str = Field("", max_length=128)


class SessionRead(Schema):
    id: int
    compound_id: int
    device_id: int
    via: str
    mode: str
    planned_minutes: int
    fen_per_hour: int
    status: str
    started_at: datetime
    ends_at: datetime
    confirmed_at: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    resumes: int
    ended_at: datetime | None
    end_reason: str | None
    energy_wh: int | None
    prepaid_fen: int
    charged_fen: int
    refunded_fen: int
    pay_method: str = "wallet"
    remaining_seconds: int = 0


class SocketRead(Schema):
    device_key: str
    name: str
    location: str | None
    state: str  # free | busy | fault | offline
    fen_per_hour: int
    full_max_minutes: int
    balance_fen: int
