"""The vote events other domains may react to (the notices domain posts them to owners).

Each event carries what a notice needs, so no other domain reads governance's tables. Fields
added later have defaults: an event written by older code still parses.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from anju.core.events import DomainEvent


class AgendaItemInfo(BaseModel):
    position: int
    title: str
    description: str = ""


class ShareInfo(BaseModel):
    """A headcount of owners and their area (exact, as a decimal string)."""

    owners: int
    area: str


class ItemOutcome(BaseModel):
    """One agenda item's result as published: the official outcome and participation, never a name (R-P9)."""

    position: int
    title: str
    official: str  # an Outcome value
    participating: ShareInfo
    total: ShareInfo
    yes: ShareInfo | None = None
    no: ShareInfo | None = None


class VotePublished(DomainEvent):
    """The agenda is published and frozen; voting opens at least 15 days later (R-V11)."""

    topic = "governance.VotePublished"
    vote_id: int
    compound_id: int
    title: str = ""
    matter_type: str = ""  # a MatterType value
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    items: list[AgendaItemInfo] = []


class VoteAnnounced(DomainEvent):
    """The results and decision are posted (公示, R-V13)."""

    topic = "governance.VoteAnnounced"
    vote_id: int
    compound_id: int
    title: str = ""
    announcement: str = ""
    results: list[ItemOutcome] = []
