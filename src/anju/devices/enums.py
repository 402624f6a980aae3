"""Device enums: types, command states."""

from __future__ import annotations

from enum import StrEnum


class DeviceType(StrEnum):
    smoke_detector = "smoke_detector"
    gas_detector = "gas_detector"
    water_leak = "water_leak"
    manhole_cover = "manhole_cover"
    lift_controller = "lift_controller"
    water_pump = "water_pump"
    water_tank = "water_tank"
    street_light = "street_light"
    ebike_charger = "ebike_charger"
    sos_button = "sos_button"
    door_magnet = "door_magnet"
    water_meter = "water_meter"
    power_meter = "power_meter"
    camera = "camera"
    access_terminal = "access_terminal"
    barrier_gate = "barrier_gate"
    motion_sensor = "motion_sensor"  # care: activity in a home (issue 16)
    fall_wristband = "fall_wristband"  # care: a wearable SOS / fall detector (issue 16)
    parcel_locker = "parcel_locker"  # a bank of parcel lockers: door opened/closed, parcel count (issue 18)


class DeviceStatus(StrEnum):
    unknown = "unknown"  # registered, never heard from
    online = "online"
    offline = "offline"


class MessageKind(StrEnum):
    telemetry = "telemetry"
    event = "event"
    heartbeat = "heartbeat"
    reply = "reply"


class CommandName(StrEnum):
    mute = "mute"  # silence a smoke detector's sounder
    cut_power = "cut_power"  # e-bike charger off
    start_charge = "start_charge"  # e-bike charger on for {"minutes"} (issue 18: a paid charging session)
    open_door = "open_door"
    reset = "reset"


class CommandStatus(StrEnum):
    queued = "queued"  # written, waiting for the gateway
    sent = "sent"  # published to the device's command topic
    acknowledged = "acknowledged"  # the device replied ok
    failed = "failed"  # the device replied with an error
    timed_out = "timed_out"  # no reply before expires_at


# Which command each type understands (the API refuses the rest).
COMMANDS: dict[DeviceType, frozenset[CommandName]] = {
    DeviceType.smoke_detector: frozenset({CommandName.mute, CommandName.reset}),
    DeviceType.gas_detector: frozenset({CommandName.mute, CommandName.reset}),
    DeviceType.ebike_charger: frozenset({CommandName.cut_power, CommandName.start_charge, CommandName.reset}),
    DeviceType.access_terminal: frozenset({CommandName.open_door}),
    DeviceType.door_magnet: frozenset({CommandName.reset}),
    DeviceType.barrier_gate: frozenset({CommandName.open_door}),
}
