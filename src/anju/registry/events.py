"""Events the registry publishes."""

from __future__ import annotations

from datetime import date

from anju.core.events import DomainEvent


class ResidentMovedIn(DomainEvent):
    topic = "registry.ResidentMovedIn"
    person_id: int
    house_id: int
    compound_id: int
    role: str
    on: date


class ResidentMovedOut(DomainEvent):
    """A person's link to a house ended; credentials and passes for it must go."""

    topic = "registry.ResidentMovedOut"
    person_id: int
    house_id: int
    compound_id: int
    on: date
    still_resident: bool  # true if the person keeps another house in the compound


class PersonErased(DomainEvent):
    """A person's personal data was deleted on request; everything derived must go."""

    topic = "registry.PersonErased"
    person_id: int
    compound_id: int
