"""The fee events other domains react to (the notices domain delivers reminders to households)."""

from __future__ import annotations

from anju.core.events import DomainEvent


class ArrearsReminderDue(DomainEvent):
    """A private reminder with a deadline for one owing household (R-M1), written by the fees domain.

    The notices domain delivers it to the house's owners (fee reminders ignore mutes) and answers with
    notices.NoticePublished(source="fees.reminder:<reminder_id>"), which links the reminder to its notice.
    """

    topic = "fees.ArrearsReminderDue"
    reminder_id: int
    compound_id: int
    house_id: int
    title: str
    body: str


class FeesDisclosed(DomainEvent):
    """A public 公示 of arrears (aggregates only) or of the common-income ledger (R-M6); the notices
    domain posts it to the whole compound and answers NoticePublished(source="fees.disclosure:<id>")."""

    topic = "fees.FeesDisclosed"
    disclosure_id: int
    compound_id: int
    title: str
    body: str
    user_id: int | None = None


REMINDER_SOURCE = "fees.reminder:"
DISCLOSURE_SOURCE = "fees.disclosure:"


class DepositCharged(DomainEvent):
    """A deposit is held (issue 18); `source` names what it secures ("decoration:12")."""

    topic = "fees.DepositCharged"
    source: str
    deposit_id: int
    amount_fen: int
    receipt_no: str


class DepositSettled(DomainEvent):
    """A deposit was settled: the deductions kept (each recorded with its reason), the rest refunded."""

    topic = "fees.DepositSettled"
    source: str
    deposit_id: int
    deducted_fen: int
    refunded_fen: int
