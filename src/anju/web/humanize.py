"""What people read instead of machine text: alarm titles, evidence, history lines, telemetry values.

Templates reach these as `human.*` (a Jinja global). Every value shown to a person is a catalogue
label with its unit, times are China time, and texts the system generated are rendered from their
message key in the reader's language (issue 17 item 4).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from anju.core.kit.china_time import china_text

# Telemetry fields → (message key suffix, unit or None). Booleans read as yes/no labels per field.
FIELDS: dict[str, tuple[str, str | None]] = {
    "smoke": ("smoke", "dB/m"),
    "alarm": ("alarm", None),
    "battery": ("battery", "%"),
    "gas_lel": ("gas_lel", "%LEL"),
    "leak": ("leak", None),
    "open": ("open", None),
    "tilt_deg": ("tilt_deg", "°"),
    "fault": ("fault", None),
    "trapped": ("trapped", None),
    "car_floor": ("car_floor", None),
    "running": ("running", None),
    "pressure_mpa": ("pressure_mpa", "MPa"),
    "level_pct": ("level_pct", "%"),
    "on": ("on", None),
    "temp_c": ("temp_c", "℃"),
    "charge_minutes": ("charge_minutes", None),
    "power_w": ("power_w", "W"),
    "parcels": ("parcels", None),
    "reading": ("reading", None),
    "pressed": ("pressed", None),
    "tamper": ("tamper", None),
    "rssi": ("rssi", "dBm"),
    "ok": ("ok", None),
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def field_label(field: str, t: Any) -> str:
    return t.maybe(f"human.field.{field}", t("human.field.other"))


def value_text(field: str | None, value: Any, t: Any) -> str:
    """One telemetry or evidence value with its unit; yes/no for flags; China time for stamps."""
    if isinstance(value, bool):
        return t("human.yes") if value else t("human.no")
    if isinstance(value, datetime):
        return china_text(value, "%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and _ISO.match(value):
        try:
            return china_text(datetime.fromisoformat(value), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return value
    if value is None:
        return "—"
    spec = FIELDS.get(field or "")
    if field == "charge_minutes":
        return t("human.minutes", n=value)
    if field == "car_floor":
        return t("human.floor", n=value)
    if spec and spec[1]:
        return f"{value} {spec[1]}"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return " · ".join(f"{field_label(k, t)} {value_text(k, v, t)}" for k, v in value.items())
    return str(value)


def telemetry(data: dict[str, Any] | None, t: Any) -> list[tuple[str, str]]:
    """A device message's values as (label, value with unit), in a stable order."""
    return [(field_label(k, t), value_text(k, v, t)) for k, v in sorted((data or {}).items())]


def telemetry_line(data: dict[str, Any] | None, t: Any) -> str:
    return t("human.sep").join(f"{k} {v}" for k, v in telemetry(data, t))


def params_of(params: dict[str, Any] | None, t: Any, fallback: str | None = None) -> dict[str, Any]:
    """Message parameters: a name ending in _key is a message key, rendered and passed without the suffix."""
    out: dict[str, Any] = {}
    for k, v in (params or {}).items():
        if k.endswith("_key") and isinstance(v, str):
            out[k[:-4]] = t.maybe(v, fallback or t("human.alarm"))
        else:
            out[k] = v
    return out


def alarm_title(alarm: Any, t: Any) -> str:
    """The title in the reader's language: its message key, else (in English) the kind's label."""
    key = getattr(alarm, "title_key", None)
    if key:
        try:
            kind = t.maybe(f"alarms.kind.{alarm.kind}", t("human.alarm"))
            return t(key, **params_of(getattr(alarm, "title_params", None), t, kind))
        except (KeyError, IndexError, ValueError):
            pass
    if t.lang == "en":
        return t.maybe(f"alarms.kind.{alarm.kind}", t("human.alarm"))
    return str(alarm.title)


# Evidence keys → how to show them. The device rule that fired is shown by its label, not its code.
_EVIDENCE_ORDER = ("rule", "field", "value", "threshold", "for_seconds", "device_at", "device_key", "event_id")


def evidence(alarm: Any, t: Any) -> list[tuple[str, str]]:
    """The alarm's evidence as (label, value) lines a person reads."""
    ev: dict[str, Any] = dict(alarm.evidence or {})
    field = ev.get("field") if isinstance(ev.get("field"), str) else None
    rows: list[tuple[str, str]] = []
    keys = [k for k in _EVIDENCE_ORDER if k in ev] + sorted(k for k in ev if k not in _EVIDENCE_ORDER)
    for k in keys:
        v = ev[k]
        label = t.maybe(f"human.ev.{k}", field_label(k, t))
        if k == "rule":
            text = t.maybe(f"human.rule.{v}", t.maybe(f"alarms.kind.{alarm.kind}", t("human.alarm")))
        elif k == "field":
            text = field_label(str(v), t)
        elif k in ("value", "threshold"):
            text = value_text(field, v, t)
        elif k.endswith("_seconds") and isinstance(v, (int, float)):
            text = t("human.seconds", n=v)
        else:
            text = value_text(k, v, t)
        rows.append((label, text))
    return rows


def source_text(source: str | None, t: Any, devices: dict[int, str] | None = None) -> str:
    """'device:37' → the device's name; 'patrol:route:3' → 巡更路线 3; never the raw code."""
    if not source:
        return t("alarms.automation")
    kind, _, rest = source.partition(":")
    if kind == "device" and rest.isdigit() and devices and int(rest) in devices:
        return devices[int(rest)]
    label = t.maybe(f"human.source.{kind}", t("human.source.other"))
    tail = rest.rsplit(":", 1)[-1] if rest else ""
    return f"{label} {tail}" if tail.isdigit() and kind not in ("user", "fire_duty", "privacy") else label


def history_note(row: Any, t: Any, devices: dict[int, str] | None = None) -> str | None:
    """A history line's system text (message key + parameters), or the person's own note."""
    key = getattr(row, "reason_key", None)
    if not key:
        return row.reason
    params = dict(getattr(row, "reason_params", None) or {})
    if "source" in params:
        params["source"] = source_text(str(params["source"]), t, devices)
    if "roles" in params:
        roles = [t.maybe(f"role.{r}", r) for r in params.get("roles") or []]
        params["roles"] = t("human.sep").join(roles) if roles else t("human.named_people", n=params.get("users", 0))
    if "outcome" in params:
        params["outcome"] = t.maybe(f"alarms.outcome.{params['outcome']}", t("human.alarm"))
    text = t(key, **params_of(params, t))
    return f"{text} · {row.reason}" if row.reason else text


def devices_of(rows: list[Any]) -> set[int]:
    """Device ids named by history sources, so the page can look their names up once."""
    out: set[int] = set()
    for r in rows:
        src = str((getattr(r, "reason_params", None) or {}).get("source", ""))
        kind, _, rest = src.partition(":")
        if kind == "device" and rest.isdigit():
            out.add(int(rest))
    return out


_RULE_REASON = re.compile(r"^rule ([a-z0-9_]+)$")


def command_reason(reason: str | None, t: Any) -> str:
    """A device command's reason: an automatic rule ("rule overheat") reads as the rule's label."""
    if not reason:
        return ""
    hit = _RULE_REASON.match(reason)
    if hit:
        return t("human.auto_rule", rule=t.maybe(f"human.rule.{hit.group(1)}", t("human.alarm")))
    return reason
