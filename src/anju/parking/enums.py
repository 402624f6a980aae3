"""Parking enumerations (stored as strings)."""

from __future__ import annotations

from enum import StrEnum


class CarParkKind(StrEnum):
    ground = "ground"
    underground = "underground"


class SpaceKind(StrEnum):
    owned = "owned"
    rented = "rented"
    public = "public"
    visitor = "visitor"
    charging = "charging"
    accessible = "accessible"
    fire_lane = "fire_lane"  # a no-parking zone: a car standing here is timed and alarmed


class LaneDirection(StrEnum):
    entry = "entry"
    exit = "exit"


class PassKind(StrEnum):
    monthly = "monthly"
    annual = "annual"


class UnknownPolicy(StrEnum):
    hold = "hold"  # an unregistered car waits for the guard
    temporary = "temporary"  # an unregistered car enters as temporary parking (and the guard is told)


class Decision(StrEnum):
    open = "open"
    hold = "hold"  # the barrier stays closed; the guard decides (release with a reason)
    deny = "deny"


class DecisionReason(StrEnum):
    resident_pass = "resident_pass"
    registered_vehicle = "registered_vehicle"
    visitor = "visitor"
    visitor_cap = "visitor_cap"
    temporary = "temporary"
    unknown = "unknown"
    blacklist = "blacklist"
    unreadable = "unreadable"
    fee_due = "fee_due"
    fee_paid = "fee_paid"
    free_exit = "free_exit"
    no_entry = "no_entry"
    released = "released"
    no_plate = "no_plate"  # 无牌车: a car without a plate scanned the lane's QR


class SessionCategory(StrEnum):
    resident = "resident"
    visitor = "visitor"
    temporary = "temporary"


class PaidVia(StrEnum):
    booth = "booth"
    qr = "qr"
