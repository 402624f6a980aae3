"""Device rules: defaults per device type, per-compound overrides, and the duration/hysteresis machine.

A rule watches one field. It fires when the condition has held for `for_seconds` (device time)
and clears only when the value is back past `clear_threshold` for `clear_for_seconds`, so a
sensor flapping around the threshold raises one alarm, not hundreds. Rules are evaluated inside
the intake batch (same transaction as the stored message), in device-time order per device;
messages older than the device's latest are stored but do not drive rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from anju.devices.enums import DeviceType


@dataclass(frozen=True)
class Rule:
    key: str
    field: str
    op: str  # gt | ge | lt | le | eq | true
    threshold: Any
    kind: str  # alarm kind
    severity: str
    title: str
    for_seconds: int = 0
    clear_threshold: Any = None  # hysteresis; None: the threshold itself
    clear_for_seconds: int = 0
    action: str | None = None  # a device command on firing, e.g. "cut_power"
    alarm: bool = True
    enabled: bool = True

    @property
    def numeric(self) -> bool:
        return self.op in ("gt", "ge", "lt", "le")


def _r(key: str, fld: str, op: str, threshold: Any, kind: str, severity: str, title: str, **kw: Any) -> Rule:
    return Rule(key, fld, op, threshold, kind, severity, title, **kw)


_FAULT = _r("fault", "fault", "true", True, "device_fault", "minor", "设备故障")
_TAMPER = _r("tamper", "tamper", "true", True, "tamper", "major", "设备被拆/遮挡")

DEFAULT_RULES: dict[DeviceType, list[Rule]] = {
    DeviceType.smoke_detector: [
        # Obscuration in %/m: alarm above 4, normal again only below 2.
        _r(
            "smoke_high",
            "smoke",
            "gt",
            4.0,
            "smoke",
            "critical",
            "烟雾浓度超限",
            clear_threshold=2.0,
            clear_for_seconds=30,
        ),
        _r("smoke_alarm", "alarm", "true", True, "smoke", "critical", "烟感报警", clear_for_seconds=30),
        _TAMPER,
    ],
    DeviceType.gas_detector: [
        _r(
            "gas_high",
            "gas_lel",
            "gt",
            20.0,
            "gas",
            "critical",
            "可燃气体浓度超限",
            clear_threshold=10.0,
            clear_for_seconds=30,
        )
    ],
    DeviceType.water_leak: [_r("leak", "leak", "true", True, "water_leak", "major", "漏水", clear_for_seconds=60)],
    DeviceType.manhole_cover: [
        _r("open", "open", "true", True, "manhole_open", "major", "井盖打开"),
        _r("tilt", "tilt_deg", "gt", 15.0, "manhole_open", "major", "井盖倾斜", clear_threshold=10.0),
    ],
    DeviceType.lift_controller: [
        _r("lift_fault", "fault", "true", True, "lift_fault", "critical", "电梯故障"),
        _r("trapped", "trapped", "true", True, "lift_trapped", "critical", "电梯困人"),
    ],
    DeviceType.water_pump: [_r("pump_fault", "fault", "true", True, "pump_fault", "major", "水泵故障")],
    DeviceType.water_tank: [
        _r("tank_low", "level_pct", "lt", 20.0, "tank_level", "major", "水箱液位过低", clear_threshold=25.0),
        _r("tank_high", "level_pct", "gt", 95.0, "tank_level", "major", "水箱液位过高", clear_threshold=90.0),
    ],
    DeviceType.ebike_charger: [
        _r(
            "overheat",
            "temp_c",
            "gt",
            60.0,
            "charger_overheat",
            "major",
            "充电桩温度过高，已断电",
            for_seconds=30,
            clear_threshold=50.0,
            action="cut_power",
        ),
        _r(
            "overtime", "charge_minutes", "gt", 480, "charger_overtime", "minor", "充电超时，已断电", action="cut_power"
        ),
        # Overload (a modified or faulty battery draws far more than an e-bike charger's few hundred watts):
        # a fire risk, so critical, and the socket is cut at once (issue 18).
        _r(
            "overload",
            "power_w",
            "gt",
            1000.0,
            "charger_overload",
            "critical",
            "充电功率过载，已断电",
            for_seconds=5,
            clear_threshold=600.0,
            action="cut_power",
        ),
    ],
    DeviceType.sos_button: [_r("sos", "pressed", "true", True, "sos", "critical", "一键求助")],
    DeviceType.door_magnet: [
        _r("held_open", "open", "true", True, "door_held_open", "minor", "门长时间未关", for_seconds=300),
        _TAMPER,
    ],
    DeviceType.street_light: [_r("fault", "fault", "true", True, "light_fault", "minor", "路灯故障")],
    DeviceType.camera: [_FAULT, _TAMPER],
    DeviceType.access_terminal: [_FAULT, _TAMPER],
    DeviceType.barrier_gate: [_FAULT],
    DeviceType.water_meter: [],
    DeviceType.power_meter: [],
    DeviceType.motion_sensor: [_TAMPER],  # readings feed the care silence check, no alarm of their own
    # Parcel lockers (issue 18): `open` (a door left open), `parcels` (how many are waiting; no alarm of its own).
    DeviceType.parcel_locker: [
        _r("locker_open", "open", "true", True, "locker_door_open", "minor", "快递柜柜门未关", for_seconds=300),
        _FAULT,
        _TAMPER,
    ],
    # A wristband's button or its fall detection goes straight to the alarm centre as critical.
    DeviceType.fall_wristband: [
        _r("sos", "pressed", "true", True, "sos", "critical", "手环一键求助"),
        _r("fall", "fall", "true", True, "fall", "critical", "手环检测到跌倒"),
    ],
}

_RULE_FIELDS = set(Rule.__dataclass_fields__)


def merge_rules(defaults: list[Rule], overrides: list[dict[str, Any]] | None) -> list[Rule]:
    """A compound's overrides, merged by key: change fields, disable (`enabled: false`), or add a rule."""
    rules = {r.key: r for r in defaults}
    for o in overrides or []:
        key = o.get("key")
        if not isinstance(key, str):
            continue
        patch = {k: v for k, v in o.items() if k in _RULE_FIELDS and k != "key"}
        if key in rules:
            rules[key] = replace(rules[key], **patch)
        else:
            try:
                rules[key] = Rule(key=key, **patch)
            except TypeError:
                continue  # an incomplete new rule is ignored rather than breaking intake
    return [r for r in rules.values() if r.enabled]


def _holds(op: str, value: Any, threshold: Any) -> bool:
    if op == "true":
        return value is True
    if op == "eq":
        return bool(value == threshold)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if op == "gt":
        return value > threshold
    if op == "ge":
        return value >= threshold
    if op == "lt":
        return value < threshold
    return value <= threshold  # le


@dataclass
class Phase:
    phase: str  # pending | active | clearing
    since: datetime
    changed: bool = field(default=False, compare=False)


def step(rule: Rule, value: Any, at: datetime, current: Phase | None) -> tuple[Phase | None, str | None]:
    """Advance one (device, rule) by one observation; returns (new phase or None=normal, "fire"|"clear"|None)."""
    on = _holds(rule.op, value, rule.threshold)
    clear_t = rule.threshold if rule.clear_threshold is None else rule.clear_threshold
    if rule.op == "true":
        off = value is False
    else:
        off = not _holds(rule.op, value, clear_t)
    if current is None or current.phase == "pending":
        if not on:
            return None, None
        since = current.since if current is not None else at
        if at - since >= timedelta(seconds=rule.for_seconds):
            return Phase("active", at, True), "fire"
        return (current if current is not None else Phase("pending", at, True)), None
    if current.phase == "active":
        if not off:
            return current, None
        if rule.clear_for_seconds <= 0:
            return None, "clear"
        return Phase("clearing", at, True), None
    # clearing: normal again only after staying off long enough; any relapse is still the same alarm
    if not off:
        return Phase("active", current.since, True), None
    if at - current.since >= timedelta(seconds=rule.clear_for_seconds):
        return None, "clear"
    return current, None
