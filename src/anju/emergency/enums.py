"""Emergency enums."""

from __future__ import annotations

from enum import StrEnum


class PlanKind(StrEnum):
    fire = "fire"
    flood = "flood"  # flood / waterlogging
    lift_entrapment = "lift_entrapment"
    gas_leak = "gas_leak"
    outage = "outage"  # power or water outage
    public_health = "public_health"
    public_order = "public_order"
    earthquake = "earthquake"


class Tier(StrEnum):
    """The three-level response: community (residents' committee, grid), property, resident volunteers."""

    community = "community"
    property = "property"
    resident = "resident"


# Alarm kinds that suggest a plan (a human confirms the activation).
PLAN_FOR_ALARM = {
    "smoke": PlanKind.fire,
    "gas": PlanKind.gas_leak,
    "water_leak": PlanKind.flood,
    "lift_trapped": PlanKind.lift_entrapment,
    "pump_fault": PlanKind.outage,
}
