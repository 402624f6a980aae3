"""How often each kind of district device reports, and how often it alarms (issue 19 item 5: telemetry at
device-typical rates).

Every device sends on its own schedule: one message every `REPORT_MINUTES[type]` simulated minutes, at a phase
drawn from its key (so a compound's smoke detectors do not all report on the same second). The figures are
assumptions from typical practice, not measurements; they favour realism over a small count:

- NB-IoT, battery-powered sensors (smoke detectors, water-leak sensors, manhole-cover sensors, SOS buttons) sleep
  between reports to last 5-10 years on one battery: vendors' datasheets and the NB-IoT platforms of China's
  carriers give a configurable heartbeat of 1-24 h with alarms sent at once. Smoke detectors: every 6 h; leak and
  manhole-cover sensors: every 12 h and 24 h; SOS buttons: every 24 h.
- Lift monitoring boxes (电梯物联网, GB/T 24476-2017 names the data, not a period; the platforms of the special
  equipment inspectorates poll status every few minutes and receive faults at once): every 5 min.
- Mains-powered plant on a gateway or 4G module: water pumps every 5 min (pump-room SCADA), water tanks, gas
  detectors in the meter rooms and street-light controllers every 15-30 min, e-bike chargers every 15 min.
- Gate and LAN devices (barrier gate, access terminal, camera) send an online heartbeat every 5 min.
- Compound master meters (water, power): hourly readings (household NB-IoT meters report daily, but the district
  has master meters only). Fire-door magnets: hourly, plus changes.

Alarms: an incident rate per device-day (`ALARMS_PER_DAY`), each an episode of three messages: the alarm values
(which trip the device type's default rule), a restore report 2 min later and another 5 min later (both normal,
so the rule clears and the device can alarm again another day). A device alarms at most once a day. The rates are
rough (nuisance alarms dominate); the bench can scale them up to have enough alarms to time (`alarm_scale`).
E-bike chargers and fire doors are left out of the alarms: their rules need a condition held for a while
(`for_seconds`) and act on the device (cut power), which a replay at speed does not model.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

from anju.devices.enums import DeviceType

REPORT_MINUTES: dict[str, float] = {
    DeviceType.smoke_detector: 360,
    DeviceType.gas_detector: 30,
    DeviceType.water_leak: 720,
    DeviceType.manhole_cover: 1440,
    DeviceType.sos_button: 1440,
    DeviceType.lift_controller: 5,
    DeviceType.water_pump: 5,
    DeviceType.water_tank: 15,
    DeviceType.street_light: 30,
    DeviceType.ebike_charger: 15,
    DeviceType.barrier_gate: 5,
    DeviceType.access_terminal: 5,
    DeviceType.camera: 5,
    DeviceType.water_meter: 60,
    DeviceType.power_meter: 60,
    DeviceType.door_magnet: 60,
}
DEFAULT_REPORT_MINUTES = 60.0

# Alarm episodes per device per day, before `alarm_scale`.
ALARMS_PER_DAY: dict[str, float] = {
    DeviceType.smoke_detector: 0.002,
    DeviceType.gas_detector: 0.005,
    DeviceType.water_leak: 0.01,
    DeviceType.manhole_cover: 0.01,
    DeviceType.sos_button: 0.02,
    DeviceType.lift_controller: 0.02,
    DeviceType.water_pump: 0.01,
    DeviceType.water_tank: 0.01,
    DeviceType.street_light: 0.01,
}

# Seconds after the alarm message at which the device reports normal values again.
RESTORE_AFTER = (120, 300)


def report_seconds(device_type: str) -> float:
    return REPORT_MINUTES.get(device_type, DEFAULT_REPORT_MINUTES) * 60


def phase_seconds(device_key: str, device_type: str) -> float:
    """Where in its period the device reports (stable per key)."""
    period = report_seconds(device_type)
    return (zlib.crc32(device_key.encode()) % 1_000_000) / 1_000_000 * period


def alarm_values(device_type: str, r: random.Random) -> tuple[str, dict[str, Any]] | None:
    """(alarm kind, values that trip the type's default rule) or None when the type has no alarm here."""
    t = device_type
    if t == DeviceType.smoke_detector:
        return "smoke", {"smoke": 7.0, "alarm": True, "battery": r.randint(80, 100)}
    if t == DeviceType.gas_detector:
        return "gas", {"gas_lel": round(r.uniform(25, 60), 1)}
    if t == DeviceType.water_leak:
        return "water_leak", {"leak": True}
    if t == DeviceType.manhole_cover:
        return "manhole_open", {"open": True, "tilt_deg": round(r.uniform(0, 2), 1)}
    if t == DeviceType.sos_button:
        return "sos", {"pressed": True, "battery": r.randint(70, 100)}
    if t == DeviceType.lift_controller:
        trapped = r.random() < 0.3
        values = {"fault": not trapped, "trapped": trapped, "car_floor": r.randint(1, 17), "running": False}
        return ("lift_trapped" if trapped else "lift_fault"), values
    if t == DeviceType.water_pump:
        return "pump_fault", {"fault": True, "running": False, "pressure_mpa": 0.0}
    if t == DeviceType.water_tank:
        return "tank_level", {"level_pct": round(r.uniform(5, 15), 1)}
    if t == DeviceType.street_light:
        return "light_fault", {"on": False, "fault": True}
    return None
