"""The vote events other domains may react to (the notices domain posts them to owners)."""

from __future__ import annotations

from anju.core.events import DomainEvent


class VotePublished(DomainEvent):
    """The agenda is published and frozen; voting opens at least 15 days later (R-V11)."""

    topic = "governance.VotePublished"
    vote_id: int
    compound_id: int


class VoteAnnounced(DomainEvent):
    """The results and decision are posted (公示, R-V13)."""

    topic = "governance.VoteAnnounced"
    vote_id: int
    compound_id: int
