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
    "sos": ["notify_emergency_contacts"],
}
# R-S1: an e-bike (IoT or video) in a corridor, stairwell, lobby, exit or lift is a fire-safety violation.
EBIKE_KINDS = ("ebike_in_corridor", "ebike_in_stairwell", "ebike_in_lobby", "ebike_in_exit", "ebike_in_lift")
# R-S3: a blocked fire lane or evacuation route: a high-priority order that escalates to the authorities.
OBSTRUCTION_KINDS = ("fire_lane_blocked", "evacuation_blocked", "fire_lane_parking")  # parking and video
_LINKAGE.update({k: ["work_order"] for k in EBIKE_KINDS + OBSTRUCTION_KINDS})
_LINKAGE["zombie_vehicle"] = ["work_order"]  # 疑似僵尸车 (parking, issue 13): one order per alarm to deal with it

WORK_ORDER_CATEGORY = {
    "smoke": "fire_safety",
    "fire": "fire_safety",
    "gas": "fire_safety",
    "charger_overheat": "fire_safety",
    "lift_fault": "lift",
    "lift_trapped": "lift",
    **dict.fromkeys(EBIKE_KINDS + OBSTRUCTION_KINDS, "fire_safety"),
    "zombie_vehicle": "parking",
}
# The legal basis a linked work order cites. A compound adds its local rule with an alarm_policy row
# {"local_rule": "《广东省…办法》第25条"} for the kind (or "*"): it is appended to the national citation.
BASIS: dict[str, str] = {
    **dict.fromkeys(EBIKE_KINDS, "《高层民用建筑消防安全管理规定》第37条"),
    **dict.fromkeys(OBSTRUCTION_KINDS, "《消防法》第28条"),
}

DEFAULT_WINDOW_SECONDS = 600
_WINDOWS = {"device_offline": 3600}


def default_policy(kind: str, severity: str) -> dict[str, Any]:
    return {
        "chain": _CHAINS.get(severity, []),
        "window_seconds": _WINDOWS.get(kind, DEFAULT_WINDOW_SECONDS),
        "linkage": _LINKAGE.get(kind, []),
        "basis": BASIS.get(kind),
        "local_rule": None,
        # Critical alarms keep escalating even if the device reports normal again: a
        # smoke detector that falls silent may have burnt.
        "stop_on_clear": severity != "critical",
    }


def policy_for(session: Session, *, compound_id: int, kind: str, severity: str) -> dict[str, Any]:
    """Defaults, then the compound's rows from least to most specific."""
    policy = default_policy(kind, severity)
    rows = (
        session.execute(
            select(AlarmPolicy).where(
                AlarmPolicy.compound_id == compound_id,
                AlarmPolicy.kind.in_((kind, "*")),
                AlarmPolicy.severity.in_((severity, "*")),
            )
        )
        .scalars()
        .all()
    )
    for row in sorted(rows, key=lambda r: (r.kind != "*") * 2 + (r.severity != "*")):
        policy.update(row.policy)
    return policy
