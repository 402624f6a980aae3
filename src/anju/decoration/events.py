"""Decoration events the fees domain reacts to (the deposit lives in the fees ledger)."""

from __future__ import annotations

from anju.core.events import DomainEvent


class DepositDue(DomainEvent):
    """The application was approved with a deposit: the fees domain charges it once per application
    (source "decoration:<id>") and answers fees.DepositCharged."""

    topic = "decoration.DepositDue"
    application_id: int
    compound_id: int
    house_id: int
    amount_fen: int


class DepositDeduction(DomainEvent):
    topic = "decoration.DepositDeduction"  # not published on its own: an item of DepositReleased
    amount_fen: int
    reason: str


class DepositReleased(DomainEvent):
    """The final inspection passed (or the application was withdrawn): settle the deposit with these
    deductions and refund the rest; the fees domain answers fees.DepositSettled."""

    topic = "decoration.DepositReleased"
    application_id: int
    compound_id: int
    deductions: list[DepositDeduction] = []
    user_id: int | None = None


def source_of(application_id: int) -> str:
    return f"decoration:{application_id}"


SOURCE_PREFIX = "decoration:"
