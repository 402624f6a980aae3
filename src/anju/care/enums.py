"""Care enums."""

from __future__ import annotations

from enum import StrEnum


class Disability(StrEnum):
    none = "none"
    visual = "visual"
    hearing = "hearing"
    mobility = "mobility"


class Channel(StrEnum):
    """How a person is best told something (R-E3: accessible variants)."""

    sms = "sms"
    voice = "voice"  # voice call: the visually impaired
    vibration = "vibration"  # SMS plus a vibrating device: the hearing impaired


class ConsentScope(StrEnum):
    """R-E2: each of these needs its own consent."""

    health = "health"
    fall = "fall"
    location = "location"


class ConsentVariant(StrEnum):
    """R-E3: the screen the consent was given on."""

    standard = "standard"
    large_print = "large_print"
    assisted = "assisted"  # read aloud and filled in by staff with the person


class VisitKind(StrEnum):
    weekly = "weekly"  # the weekly round for people living alone
    monthly = "monthly"  # R-E1: special hardship, at least one per calendar month
    alarm = "alarm"  # after a silence alarm: go and look


class VisitOutcome(StrEnum):
    fine = "fine"
    away = "away"
    hospital = "hospital"
    deceased = "deceased"
    other = "other"


# Default channel for a disability (R-E3 / issue 16: voice for the visually impaired, vibration for the deaf).
DEFAULT_CHANNEL = {
    Disability.visual: Channel.voice,
    Disability.hearing: Channel.vibration,
}


class LadderRung(StrEnum):
    """The rungs of a silence episode's escalation ladder, in order (a contact or neighbour rung per person)."""

    self_check = "self_check"  # "press to confirm you are fine", by the person's own channel
    alarm = "alarm"  # the self-check went unanswered: the alarm centre is asked for one alarm
    contact = "contact"  # an emergency contact, in calling order, each with a wait
    neighbour = "neighbour"
    grid_worker = "grid_worker"
    visit = "visit"  # a visit work order with an SLA


class Answerer(StrEnum):
    """Who said how the person is (a "fine" from any of them stops the ladder)."""

    self = "self"
    contact = "contact"
    neighbour = "neighbour"
    grid_worker = "grid_worker"
    visit = "visit"  # the visit order's outcome
