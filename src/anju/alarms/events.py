"""The alarm centre's event contract, shared by every domain that raises or reacts to alarms.

Any domain asks for an alarm by publishing `AlarmRequested` (it never imports the
alarm centre's internals); the alarm centre publishes `AlarmRaised` for a new alarm
and `AlarmStateChanged` for every transition, and `AlarmCleared` when the source clears it.
"""

from __future__ import annotations

from typing import Any

from anju.core.events import DomainEvent


class AlarmRequested(DomainEvent):
    """A domain (devices, access, patrol, care, vision…) asks the alarm centre for an alarm."""

    topic = "alarms.AlarmRequested"
    compound_id: int
    kind: str  # e.g. "smoke", "gas", "water_leak", "device_offline", "blacklist_hit", "patrol_missed"
    severity: str  # "critical" | "major" | "minor" | "info"
    source: str  # "device:42", "access:door:7", "patrol:route:3"
    dedupe_key: str  # repeats with the same key inside the aggregation window raise a counter
    title: str
    building_id: int | None = None
    unit_id: int | None = None
    floor: int | None = None
    house_id: int | None = None
    person_id: int | None = None  # alarms about a person wait for human review (R-A4)
    # Optional: an AI alarm about an unidentified person (video loitering, intrusion, fall) waits for review too.
    needs_review: bool = False
    evidence: dict[str, Any] = {}
    occurred_at: str | None = None  # ISO-8601 device/source time
    device_id: int | None = None  # optional: the device that raised it (site plan, commands)
    # Optional: the title as a message key with parameters, rendered in the reader's language.
    # A parameter whose name ends in "_key" is itself a message key (e.g. "what_key": "alarms.kind.gas").
    title_key: str | None = None
    title_params: dict[str, Any] = {}


class AlarmRaised(DomainEvent):
    topic = "alarms.AlarmRaised"
    alarm_id: int
    compound_id: int
    kind: str
    severity: str
    source: str
    building_id: int | None = None
    unit_id: int | None = None
    floor: int | None = None
    house_id: int | None = None
    # Optional additions (the contract above is unchanged):
    title: str | None = None
    device_id: int | None = None
    status: str = "new"  # "new", or "new" after a human review of a person alarm (R-A4)


class AlarmStateChanged(DomainEvent):
    topic = "alarms.AlarmStateChanged"
    alarm_id: int
    compound_id: int
    kind: str
    old_status: str
    new_status: str
    actor_user_id: int | None = None
    reason: str | None = None
    outcome: str | None = None  # AlarmOutcome when the alarm was closed


class AlarmCleared(DomainEvent):
    """The source reported normal again (cleared-by-device) or a human resolved it."""

    topic = "alarms.AlarmCleared"
    alarm_id: int
    compound_id: int
    kind: str
    source: str


class AlarmEscalated(DomainEvent):
    """An escalation step fired (its inbox notices are written; external channels follow)."""

    topic = "alarms.AlarmEscalated"
    alarm_id: int
    compound_id: int
    step: int
    user_ids: list[int] = []


class WorkOrderRequested(DomainEvent):
    """The alarm centre asks the work-order domain to open an order (it subscribes when it exists)."""

    topic = "alarms.WorkOrderRequested"
    alarm_id: int
    compound_id: int
    kind: str
    severity: str
    category: str  # "fire_safety" (R-S1), "repair", "lift", "security"
    title: str
    building_id: int | None = None
    unit_id: int | None = None
    floor: int | None = None
    house_id: int | None = None
    device_id: int | None = None
    # Optional addition: the legal basis to cite (R-S1: 高层规定 第37条 plus the compound's local rule).
    basis: str | None = None


class BuildingNotifyRequested(DomainEvent):
    """An operator tells a building's residents about an alarm (通知本楼): the notices domain posts it to them."""

    topic = "alarms.BuildingNotifyRequested"
    alarm_id: int
    compound_id: int
    building_id: int
    title: str
    body: str
