"""Decoration enumerations (stored as strings)."""

from enum import StrEnum


class DecorationStatus(StrEnum):
    submitted = "submitted"  # waiting for the property company
    approved = "approved"  # workers' passes issued for the approved dates and hours
    rejected = "rejected"
    completed = "completed"  # the final inspection passed; passes revoked; deposit to refund
    cancelled = "cancelled"


LIVE_STATUSES = frozenset({DecorationStatus.submitted, DecorationStatus.approved})


class InspectionKind(StrEnum):
    during = "during"  # a site check while work goes on (110号令 第17条)
    final = "final"  # at completion


class DepositStatus(StrEnum):
    none = "none"
    due = "due"  # approved: the fees ledger is charging it (decoration.DepositDue)
    held = "held"  # the fees ledger holds it (fees.DepositCharged)
    refund_due = "refund_due"  # after the final inspection passed (or a withdrawal): being settled
    refunded = "refunded"  # settled by the fees ledger: deductions kept, the rest refunded
