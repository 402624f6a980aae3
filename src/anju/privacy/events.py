"""Events the privacy domain publishes."""

from __future__ import annotations

from anju.core.events import DomainEvent


class BreachIndividualsNotified(DomainEvent):
    """R-P7: the individual notice of a breach, to reach every affected person's inbox (SMS without an account)."""

    topic = "privacy.BreachIndividualsNotified"
    incident_id: int
    compound_id: int
    person_ids: list[int]
    title: str
    body: str


class ComplianceDutyRaised(DomainEvent):
    """R-P10: the people count passed a threshold: the biennial audit is due, or the important-data duties start."""

    topic = "privacy.ComplianceDutyRaised"
    kind: str  # audit | important_data
    people: int


class FaceCloudConsentWithdrawn(DomainEvent):
    """R-F4: the person withdrew the separate consent to send face data over the internet."""

    topic = "privacy.FaceCloudConsentWithdrawn"
    person_id: int
    compound_id: int
