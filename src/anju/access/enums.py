"""Access-control enumerations (stored as strings)."""

from enum import StrEnum


class AccessPointKind(StrEnum):
    gate_pedestrian = "gate_pedestrian"
    gate_vehicle = "gate_vehicle"
    unit_door = "unit_door"
    garage_door = "garage_door"
    lift = "lift"
    locker = "locker"  # parcel lockers: couriers may reach them


GATE_KINDS = frozenset({AccessPointKind.gate_pedestrian, AccessPointKind.gate_vehicle, AccessPointKind.garage_door})


class LocationType(StrEnum):
    outdoor = "outdoor"
    entrance = "entrance"
    lobby = "lobby"
    corridor = "corridor"
    garage = "garage"
    lift_car = "lift_car"
    toilet = "toilet"
    bathroom = "bathroom"
    changing_room = "changing_room"
    hotel_room = "hotel_room"
    other = "other"


# R-F9: no face-capable device at these locations.
NO_FACE_LOCATIONS = frozenset(
    {LocationType.toilet, LocationType.bathroom, LocationType.changing_room, LocationType.hotel_room}
)


class CredentialKind(StrEnum):
    card = "card"
    pin = "pin"
    qr = "qr"  # the resident's rotating QR
    face = "face"


class CredentialStatus(StrEnum):
    active = "active"
    revoked = "revoked"


class Method(StrEnum):
    card = "card"
    pin = "pin"
    qr = "qr"
    visitor_qr = "visitor_qr"
    face = "face"
    remote = "remote"
    fail_open = "fail_open"


class Decision(StrEnum):
    allow = "allow"
    deny = "deny"


class PassKind(StrEnum):
    visitor = "visitor"
    courier = "courier"
    rider = "rider"  # food delivery: one delivery, to the lobby or the door as the compound's rule says
    worker = "worker"  # a decoration worker: the approved dates, only within the approved daily hours


DELIVERY_KINDS = frozenset({PassKind.courier, PassKind.rider})


class DeliveryReach(StrEnum):
    """How far a courier or rider goes inside (per compound, issue 18): gates and lockers only, the host's unit
    lobby door, or up to the host's door (the lift to their floor)."""

    lockers = "lockers"
    lobby = "lobby"
    door = "door"


class PassStatus(StrEnum):
    pending = "pending"  # waiting for the host's approval
    active = "active"
    used_up = "used_up"
    revoked = "revoked"
    rejected = "rejected"
