"""Default alarm policies (escalation chain, aggregation window, linkage), overridable per compound.

A compound overrides with `alarm_policy` rows keyed (kind, severity), "*" matching any; the most
specific row wins, key by key. The chain's targets are roles of users granted the compound
("guard" = the on-duty guards and control room until a shift roster exists; "property_staff" =
the supervisor; "property_manager" = the manager) or explicit user ids.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.alarms.models import AlarmPolicy

Step = dict[str, Any]  # {"after_seconds": 120, "target": {"roles": ["property_staff"]}, "channels": ["inbox"]}

_CHAINS: dict[str, list[Step]] = {
    "critical": [
        {"after_seconds": 0, "target": {"roles": ["guard"]}, "channels": ["inbox", "webhook"]},
        {"after_seconds": 120, "target": {"roles": ["property_staff"]}, "channels": ["inbox", "webhook"]},
        {"after_seconds": 300, "target": {"roles": ["property_manager"]}, "channels": ["inbox", "webhook"]},
    ],
    "major": [
        {"after_seconds": 0, "target": {"roles": ["guard"]}, "channels": ["inbox", "webhook"]},
        {"after_seconds": 300, "target": {"roles": ["property_staff"]}, "channels": ["inbox"]},
        {"after_seconds": 900, "target": {"roles": ["property_manager"]}, "channels": ["inbox"]},
    ],
    "minor": [
        {"after_seconds": 0, "target": {"roles": ["guard"]}, "channels": ["inbox"]},
        {"after_seconds": 1800, "target": {"roles": ["property_staff"]}, "channels": ["inbox"]},
    ],
    "info": [],
}

# Linkage actions run once when an alarm is raised (after commit, by the worker).
_LINKAGE: dict[str, list[str]] = {
    "smoke": ["notify_household", "notify_emergency_contacts", "work_order"],
    "fire": ["notify_household", "notify_emergency_contacts", "work_order"],
    "gas": ["notify_household", "notify_emergency_contacts", "work_order"],
    "water_leak": ["work_order"],
    "manhole_open": ["work_order"],
    "pump_fault": ["work_order"],
    "tank_level": ["work_order"],
    "lift_fault": ["work_order"],
    "lift_trapped": ["work_order"],
    "charger_overheat": ["work_order"],
    "ebike_in_corridor": ["work_order"],
    "sos": ["notify_emergency_contacts"],
}

WORK_ORDER_CATEGORY = {"smoke": "fire_safety", "fire": "fire_safety", "gas": "fire_safety",
                       "charger_overheat": "fire_safety", "ebike_in_corridor": "fire_safety",
                       "lift_fault": "lift", "lift_trapped": "lift"}

DEFAULT_WINDOW_SECONDS = 600
_WINDOWS = {"device_offline": 3600}


def default_policy(kind: str, severity: str) -> dict[str, Any]:
    return {"chain": _CHAINS.get(severity, []), "window_seconds": _WINDOWS.get(kind, DEFAULT_WINDOW_SECONDS),
            "linkage": _LINKAGE.get(kind, []),
            # Critical alarms keep escalating even if the device reports normal again: a
            # smoke detector that falls silent may have burnt.
            "stop_on_clear": severity != "critical"}


def policy_for(session: Session, *, compound_id: int, kind: str, severity: str) -> dict[str, Any]:
    """Defaults, then the compound's rows from least to most specific."""
    policy = default_policy(kind, severity)
    rows = session.execute(select(AlarmPolicy).where(
        AlarmPolicy.compound_id == compound_id, AlarmPolicy.kind.in_((kind, "*")),
        AlarmPolicy.severity.in_((severity, "*")))).scalars().all()
    for row in sorted(rows, key=lambda r: (r.kind != "*") * 2 + (r.severity != "*")):
        policy.update(row.policy)
    return policy
