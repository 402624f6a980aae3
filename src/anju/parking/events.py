"""Parking events (past tense); other domains subscribe instead of importing parking."""

from __future__ import annotations

from datetime import datetime

from anju.core.events import DomainEvent


class LaneDecided(DomainEvent):
    """A lane decided on a capture (open, hold or deny)."""

    topic = "parking.LaneDecided"
    lane_event_id: int
    compound_id: int
    lane_id: int
    plate: str | None = None
    decision: str
    reason: str


class ParkingFeePaid(DomainEvent):
    """A temporary-parking fee was paid (booth or QR); the fees ledger may book it."""

    topic = "parking.ParkingFeePaid"
    session_id: int
    compound_id: int
    amount_fen: int
    paid_via: str
    payment_ref: str
    plate: str | None = None
    paid_at: datetime | None = None
