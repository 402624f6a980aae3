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
    held = "held"
    refund_due = "refund_due"  # after the final inspection passed
