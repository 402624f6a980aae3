"""Device intake: the one path MQTT (`anju gateway`) and HTTP push share (R9).

validate each message (size, topic, device, signature, JSON, event_id, timestamp, fields) →
dead-letter the bad ones with a reason → INSERT … ON CONFLICT DO NOTHING on (device_id, event_id)
→ latest state per device → rules (duration, hysteresis) → alarms and commands, all in the
caller's transaction. The caller commits, then acknowledges (MQTT) or answers 202 (HTTP).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRequested
from anju.alarms.service import alarm_service
from anju.core import events
from anju.core.crypto import decrypt
from anju.core.db import utcnow
from anju.core.text import plain, printable, storable
from anju.devices.config import device_settings
from anju.devices.enums import CommandStatus, DeviceStatus, DeviceType, MessageKind
from anju.devices.events import CameraEventReported
from anju.devices.models import Device, RuleState
from anju.devices.repository import DeviceRepository, id_in
from anju.devices.rules import DEFAULT_RULES, Phase, Rule, merge_rules, step
from anju.devices.schemas import IngestItemError, IngestResult
from anju.devices.service import SECRET_CONTEXT, offline_key

log = logging.getLogger("anju.devices.intake")

_SIG = re.compile(rb',"sig":"([0-9a-f]{64})"}$')
_EVENT_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
_ISO_TEXT = re.compile(r"^[\x20-\x7e]{1,40}$")  # an ISO-8601 time is short printable ASCII
MAX_EPOCH = 10**15  # epoch milliseconds of year ~33,658: anything larger is not a time
_KINDS = {k.value for k in MessageKind}
MAX_FIELDS = 64
MAX_STR = 256
HTTP_MAX_ITEMS = 500


@dataclass(slots=True)
class DeviceInfo:
    id: int
    device_key: str
    compound_id: int
    compound_code: str
    device_type: DeviceType
    secret: bytes
    heartbeat_seconds: int
    building_id: int | None
    unit_id: int | None
    floor: int | None
    house_id: int | None
    place: str
    active: bool


class DeviceDirectory:
    """Per-process cache of device secrets and locations (refreshed after `ttl`; unknown keys after `negative_ttl`)."""

    def __init__(self, ttl: float = 60.0, negative_ttl: float = 5.0) -> None:
        self.ttl, self.negative_ttl = ttl, negative_ttl
        self._cache: dict[str, tuple[DeviceInfo | None, float]] = {}
        self._secrets: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._secrets.clear()

    def _secret(self, secret_enc: str) -> bytes:
        """The device secret of a ciphertext, decrypted once per ciphertext: a TTL refresh re-reads the row (a
        rotated secret is a new ciphertext, a deactivation is seen) without an AES-GCM decryption per device."""
        got = self._secrets.get(secret_enc)
        if got is None:
            got = (decrypt(secret_enc, context=SECRET_CONTEXT) or "").encode()
            if len(self._secrets) >= 1_000_000:
                self._secrets.clear()
            self._secrets[secret_enc] = got
        return got

    def lookup_many(self, session: Session, keys: set[str]) -> dict[str, DeviceInfo | None]:
        now = time.monotonic()
        out: dict[str, DeviceInfo | None] = {}
        missing: list[str] = []
        with self._lock:
            for k in keys:
                hit = self._cache.get(k)
                if hit is not None and hit[1] > now:
                    out[k] = hit[0]
                else:
                    missing.append(k)
        if missing:
            from anju.registry.models import Compound

            found: dict[str, DeviceInfo] = {}
            d = Device
            cols = (
                d.id,
                d.device_key,
                d.compound_id,
                Compound.code,
                d.device_type,
                d.secret_enc,
                d.heartbeat_seconds,
                d.building_id,
                d.unit_id,
                d.floor,
                d.house_id,
                d.location,
                d.name,
                d.active,
            )
            for i in range(0, len(missing), 500):
                # Columns, not entities: a refresh after the TTL is a plain read (no identity map, no ORM state).
                rows = session.execute(
                    select(*cols)
                    .join(Compound, Compound.id == d.compound_id)
                    .where(id_in(session, d.device_key, missing[i : i + 500]))
                ).all()
                for r in rows:
                    found[r.device_key] = DeviceInfo(
                        r.id,
                        r.device_key,
                        r.compound_id,
                        r.code,
                        r.device_type,
                        self._secret(r.secret_enc),
                        r.heartbeat_seconds,
                        r.building_id,
                        r.unit_id,
                        r.floor,
                        r.house_id,
                        r.location or r.name,
                        r.active,
                    )
            with self._lock:
                for k in missing:
                    info = found.get(k)
                    self._cache[k] = (info, now + (self.ttl if info else self.negative_ttl))
                    out[k] = info
        return out


directory = DeviceDirectory()


def check_push(
    info: DeviceInfo | None, *, device_key: str | None, secret: str | None, signature: str | None, body: bytes
) -> tuple[str, str] | None:
    """None when an HTTP push is the device's own: `X-Device-Signature: sha256=<hex HMAC-SHA256 of the raw body
    under the device secret>` or `X-Device-Secret`; else (reason, detail) for the refusal."""
    if info is None or not info.active:
        return "unknown_device", f"no active device {device_key!r}"
    if signature:
        want = hmac.new(info.secret, body, hashlib.sha256).hexdigest()
        given = signature.removeprefix("sha256=").strip().lower().encode("utf-8", "replace")
        if not hmac.compare_digest(want.encode(), given):
            return "bad_signature", "X-Device-Signature does not match the body"
    elif secret is None or not hmac.compare_digest(secret.encode("utf-8", "replace"), info.secret):
        return "bad_secret", "X-Device-Secret missing or wrong"
    return None


def authenticate_push(
    session: Session, *, device_key: str | None, secret: str | None, signature: str | None, body: bytes
) -> DeviceInfo:
    """The device that signed an HTTP request to another domain's device endpoint (e.g. a lane camera's capture);
    401 with the reason otherwise. Same rules and cache as the intake."""
    from anju.core.errors import Unauthenticated

    info = directory.lookup_many(session, {device_key}).get(device_key) if device_key else None
    refused = check_push(info, device_key=device_key, secret=secret, signature=signature, body=body)
    if refused is not None:
        raise Unauthenticated(
            f"device authentication failed: {refused[0]}",
            zh="设备认证失败",
            fields=[{"field": "device", "message": refused[1], "type": refused[0]}],
        )
    assert info is not None
    return info


@dataclass(slots=True)
class Accepted:
    info: DeviceInfo
    kind: str
    event_id: str
    device_at: datetime
    data: dict[str, Any]


@dataclass(slots=True)
class Rejection:
    transport: str
    reason: str
    detail: str | None
    payload: bytes
    topic: str | None = None
    device_key: str | None = None
    compound_id: int | None = None

    def row(self, now: datetime) -> dict[str, Any]:
        excerpt = self.payload[:512].decode("utf-8", errors="replace").replace("\x00", "\\0")
        # Every string is made storable: a dead letter must never fail the batch it rides in.
        return {
            "received_at": now,
            "transport": self.transport,
            "topic": printable(self.topic or "")[:255] or None,
            "device_key": printable(self.device_key or "")[:64] or None,
            "compound_id": self.compound_id,
            "reason": self.reason,
            "detail": printable(self.detail or "")[:500] or None,
            "size": len(self.payload),
            "excerpt": excerpt,
        }


@dataclass
class BatchOutcome:
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    alarms_raised: list[int] = field(default_factory=list)
    alarms_cleared: list[int] = field(default_factory=list)
    commands: list[int] = field(default_factory=list)


class Invalid(Exception):
    """A message breaks the contract: `reason` is one of docs/mqtt.md's, `detail` is safe to log and show."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, printable(detail, 300) if detail is not None else None


def _name(key: str) -> str:
    """A field name as it may appear in a detail or a log line (escaped, bounded)."""
    return repr(printable(key, 64))


def _timestamp(raw: Any) -> datetime:
    if isinstance(raw, bool) or raw is None:
        raise Invalid("bad_timestamp", "ts missing or not a time")
    if isinstance(raw, (int, float)):
        # A 401-digit integer cannot even become a float: bound it before any arithmetic.
        if isinstance(raw, float) and not math.isfinite(raw):
            raise Invalid("bad_timestamp", "ts not finite")
        if not -MAX_EPOCH <= raw <= MAX_EPOCH:
            raise Invalid("bad_timestamp", "ts out of range for epoch seconds/milliseconds")
        seconds = raw / 1000 if raw > 1e11 else raw  # epoch milliseconds or seconds
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise Invalid("bad_timestamp", "ts out of range for epoch seconds/milliseconds") from None
    if isinstance(raw, str) and _ISO_TEXT.match(raw):
        try:
            t = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if t.tzinfo is None:
                raise Invalid("bad_timestamp", "ISO-8601 time without a UTC offset")
            return t.astimezone(UTC)  # overflows at the ends of the calendar (year 1 at +23:59)
        except (ValueError, OverflowError):
            raise Invalid("bad_timestamp", "not an ISO-8601 time within the calendar") from None
    raise Invalid("bad_timestamp", "ts must be ISO-8601 or epoch seconds/milliseconds")


def _check_data(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict) or len(data) > MAX_FIELDS:
        raise Invalid("bad_data", f"data must be an object of at most {MAX_FIELDS} fields")
    for k, v in data.items():
        # Field names end up in JSON columns, pages and log lines: one printable line of 1–64 characters
        # (no NUL, which PostgreSQL cannot store; no unpaired surrogate, which UTF-8 cannot encode).
        if not 1 <= len(k) <= 64:
            raise Invalid("bad_data", "field names must have 1–64 characters")
        if not plain(k):
            raise Invalid("bad_data", f"field name {_name(k)} holds a control character or an unpaired surrogate")
        if v is None or isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            if isinstance(v, float) and not math.isfinite(v):
                raise Invalid("bad_data", f"{_name(k)} is not finite")
            if isinstance(v, int) and abs(v) > 2**53:
                raise Invalid("bad_data", f"{_name(k)} out of range")
            continue
        if isinstance(v, str) and len(v) <= MAX_STR:
            if not storable(v):
                raise Invalid("bad_data", f"{_name(k)} holds NUL or an unpaired surrogate (not UTF-8 text)")
            continue
        raise Invalid("bad_data", f"{_name(k)}: only short strings, numbers, booleans and null are accepted")
    return data


def _decode(body: bytes) -> Any:
    """Parse a JSON document that must be UTF-8 (RFC 8259); invalid UTF-8 is malformed, never decoded leniently."""
    try:
        text = body.decode("utf-8-sig")  # strict: json.loads(bytes) would let ED A0 80 through as a surrogate
    except UnicodeDecodeError as e:
        raise Invalid("malformed_json", f"not valid UTF-8 at byte {e.start}") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as e:
        raise Invalid("malformed_json", str(e)[:200]) from None


class IntakeService:
    def __init__(self) -> None:
        self._rules_cache: dict[DeviceType, list[Rule]] = {t: DEFAULT_RULES.get(t, []) for t in DeviceType}

    # --- validation ---------------------------------------------------------------------------
    def validate(self, info: DeviceInfo, kind: str, msg: Any, *, now: datetime) -> Accepted:
        """Per-message checks after authentication; raises Invalid with a reason."""
        if not isinstance(msg, dict):
            raise Invalid("malformed_json", "message must be a JSON object")
        event_id = msg.get("event_id")
        if not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
            raise Invalid("bad_event_id", "event_id: 1–64 printable ASCII characters")
        at = _timestamp(msg.get("ts"))
        s = device_settings()
        if at < now - timedelta(seconds=s.devices_max_past_seconds) or at > now + timedelta(
            seconds=s.devices_max_future_seconds
        ):
            raise Invalid("timestamp_out_of_range", f"ts {at.isoformat()} too far from server time")
        data = _check_data(msg.get("data"))
        if kind == MessageKind.reply:
            if not isinstance(data.get("correlation_id"), str) or not isinstance(data.get("ok"), bool):
                raise Invalid("bad_reply", "reply needs data.correlation_id (string) and data.ok (boolean)")
        else:
            for rule in self._rules_cache[info.device_type]:
                v = data.get(rule.field)
                if v is None:
                    continue
                if rule.numeric and (isinstance(v, bool) or not isinstance(v, (int, float))):
                    raise Invalid("bad_field_type", f"{rule.field} must be a number")
                if rule.op == "true" and not isinstance(v, bool):
                    raise Invalid("bad_field_type", f"{rule.field} must be a boolean")
        return Accepted(info, kind, event_id, at, data)

    def parse_mqtt(
        self, session: Session, items: list[tuple[str, bytes]], *, now: datetime, root: str | None = None
    ) -> tuple[list[Accepted | None], list[Rejection | None]]:
        """Authenticate and validate raw MQTT messages; index-aligned results (one of the two set per item)."""
        s = device_settings()
        root = root or s.mqtt_topic_root
        parsed: list[tuple[str, str, str] | None] = []
        keys: set[str] = set()
        for topic, _payload in items:
            parts = topic.split("/")
            if len(parts) == 5 and parts[0] == root and parts[2] == "devices" and parts[4] in _KINDS and parts[3]:
                parsed.append((parts[1], parts[3], parts[4]))
                keys.add(parts[3])
            else:
                parsed.append(None)
        infos = directory.lookup_many(session, keys) if keys else {}
        accepted: list[Accepted | None] = []
        rejected: list[Rejection | None] = []
        for (topic, payload), p in zip(items, parsed, strict=True):
            info = infos.get(p[1]) if p else None
            try:
                if len(payload) > s.devices_max_payload_bytes:
                    raise Invalid("oversize", f"{len(payload)} bytes > {s.devices_max_payload_bytes}")
                if p is None:
                    raise Invalid("bad_topic", f"expected {root}/<compound>/devices/<device_key>/<kind>")
                if info is None or not info.active or info.compound_code != p[0]:
                    raise Invalid("unknown_device", f"no active device {p[1]} in {p[0]}")
                m = _SIG.search(payload)
                if m is None:
                    raise Invalid("missing_signature", 'payload must end with ,"sig":"<64 hex>"}')
                body = payload[: m.start()] + b"}"
                want = hmac.new(info.secret, topic.encode() + b"\n" + body, hashlib.sha256).hexdigest()
                if not hmac.compare_digest(want, m.group(1).decode()):
                    raise Invalid("bad_signature", "HMAC does not match")
                accepted.append(self.validate(info, p[2], _decode(body), now=now))
                rejected.append(None)
            except Invalid as e:
                accepted.append(None)
                rejected.append(
                    Rejection(
                        "mqtt",
                        e.reason,
                        e.detail,
                        payload,
                        topic=topic,
                        device_key=p[1] if p else None,
                        compound_id=info.compound_id if info else None,
                    )
                )
        return accepted, rejected

    # --- HTTP -----------------------------------------------------------------------------------
    def ingest_http(
        self,
        session: Session,
        *,
        device_key: str | None,
        secret: str | None,
        signature: str | None,
        body: bytes,
        now: datetime | None = None,
    ) -> tuple[int, IngestResult | Rejection]:
        """Authenticate one HTTP push (one message or a list), then the shared pipeline; returns (status, result)."""
        now = now or utcnow()
        s = device_settings()
        info = directory.lookup_many(session, {device_key}).get(device_key) if device_key else None

        def reject(status: int, reason: str, detail: str) -> tuple[int, Rejection]:
            r = Rejection(
                "http", reason, detail, body, device_key=device_key, compound_id=info.compound_id if info else None
            )
            DeviceRepository(session).add_dead_letters([r.row(now)])
            log.info("http intake rejected %s: %s (%s)", printable(device_key or "", 64), reason, printable(detail))
            return status, r

        refused = check_push(info, device_key=device_key, secret=secret, signature=signature, body=body)
        if refused is not None:
            return reject(401, *refused)
        assert info is not None
        if len(body) > s.devices_max_payload_bytes * 64:
            return reject(413, "oversize", f"{len(body)} bytes")
        try:
            doc = _decode(body)
        except Invalid as e:
            return reject(400, e.reason, e.detail or "")
        items = doc if isinstance(doc, list) else [doc]
        if len(items) > HTTP_MAX_ITEMS:
            return reject(413, "oversize", f"{len(items)} messages > {HTTP_MAX_ITEMS}")
        accepted: list[Accepted] = []
        rejections: list[Rejection] = []
        errors: list[IngestItemError] = []
        for i, item in enumerate(items):
            try:
                kind = item.get("kind", "telemetry") if isinstance(item, dict) else None
                if not isinstance(kind, str) or kind not in _KINDS:
                    raise Invalid("bad_kind", f"kind must be one of {sorted(_KINDS)}")
                accepted.append(self.validate(info, kind, item, now=now))
            except Invalid as e:
                raw = json.dumps(item, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")[:2048]
                rejections.append(
                    Rejection("http", e.reason, e.detail, raw, device_key=device_key, compound_id=info.compound_id)
                )
                errors.append(IngestItemError(index=i, reason=e.reason, detail=e.detail))
        out = self.store(session, accepted, rejections, now=now)
        return 202, IngestResult(
            accepted=len(accepted), inserted=out.inserted, duplicates=out.duplicates, rejected=errors
        )

    # --- the shared pipeline ----------------------------------------------------------------------
    def store(
        self, session: Session, accepted: list[Accepted], rejected: list[Rejection], *, now: datetime | None = None
    ) -> BatchOutcome:
        """Store a validated batch idempotently, update device state, run rules; caller commits."""
        now = now or utcnow()
        repo = DeviceRepository(session)
        out = BatchOutcome(rejected=len(rejected))
        for r in rejected:
            # printable(): a topic or field name with a line break must not forge log lines.
            log.info(
                "rejected %s message from %s: %s (%s)",
                r.transport,
                printable(r.device_key or r.topic or "", 255),
                r.reason,
                printable(r.detail or ""),
            )
        repo.add_dead_letters([r.row(now) for r in rejected])
        unique: dict[tuple[int, str], Accepted] = {}
        for a in accepted:
            unique.setdefault((a.info.id, a.event_id), a)
        if not unique:
            return out
        inserted = repo.insert_messages(
            [
                {
                    "device_id": a.info.id,
                    "compound_id": a.info.compound_id,
                    "event_id": a.event_id,
                    "kind": a.kind,
                    "device_at": a.device_at,
                    "received_at": now,
                    "data": a.data,
                }
                for a in unique.values()
            ]
        )
        out.inserted = len(inserted)
        out.duplicates = len(accepted) - len(inserted)
        camera_events = [
            (
                CameraEventReported(
                    device_id=a.info.id,
                    compound_id=a.info.compound_id,
                    event_id=a.event_id,
                    device_at=a.device_at,
                    data=a.data,
                ),
                a.info.compound_id,
            )
            for key, a in unique.items()
            if key in inserted and a.kind == MessageKind.event and a.info.device_type == DeviceType.camera
        ]
        events.publish_many(session, camera_events)  # an edge video detection: the video domain records it
        by_device: dict[int, list[Accepted]] = defaultdict(list)
        for key, a in unique.items():
            if key in inserted:
                by_device[a.info.id].append(a)
        if not by_device:
            return out
        # Device order: state rows are locked (PostgreSQL) and rules, alarms and commands run in one order for every
        # gateway, so two gateways sharing a subscription cannot deadlock on overlapping devices.
        by_device = dict(sorted(by_device.items()))
        states = repo.states_for(by_device, lock=True)
        rule_devices = [d for d, msgs in by_device.items() if self._rules_cache[msgs[0].info.device_type]]
        phases = repo.rule_states(rule_devices)
        overrides = repo.rule_sets({msgs[0].info.compound_id for msgs in by_device.values()})
        new_states: list[dict[str, Any]] = []
        upd_states: list[dict[str, Any]] = []
        for device_id, msgs in by_device.items():
            msgs.sort(key=lambda a: a.device_at)
            info = msgs[0].info
            status, last_at, values = states.get(device_id, (DeviceStatus.unknown.value, None, {}))
            rules = self._rules(info, overrides)
            for a in msgs:
                if a.kind == MessageKind.reply:
                    self._reply(session, a, now=now)
                    continue
                if last_at is not None and a.device_at < last_at:
                    continue  # out of order: stored, but older than what we know; rules already saw newer
                last_at = a.device_at
                if a.data and len(values) < MAX_FIELDS * 2:
                    values.update(a.data)
                for rule in rules:
                    if rule.field in a.data:
                        self._apply(session, rule, a, phases, out, now=now)
            if status == DeviceStatus.offline.value:
                cleared = alarm_service.clear_by_source(
                    session,
                    compound_id=info.compound_id,
                    dedupe_key=offline_key(device_id),
                    now=now,
                    reason_key="alarms.hist.back_online",
                )
                if cleared:
                    out.alarms_cleared.append(cleared)
            row = {
                "device_id": device_id,
                "status": DeviceStatus.online,
                "last_seen_at": now,
                "last_device_at": last_at,
                "values": values,
                "offline_since": None,
                "updated_at": now,
            }
            if device_id in states:
                upd_states.append(row)
            else:
                new_states.append({**row, "compound_id": info.compound_id})
        repo.insert_states(new_states)
        repo.update_states(upd_states)
        session.flush()
        return out

    def _rules(self, info: DeviceInfo, overrides: dict[tuple[int, str], list[dict[str, Any]]]) -> list[Rule]:
        custom = overrides.get((info.compound_id, info.device_type.value))
        base = self._rules_cache[info.device_type]
        return merge_rules(base, custom) if custom else base

    def _apply(
        self,
        session: Session,
        rule: Rule,
        a: Accepted,
        phases: dict[tuple[int, str], RuleState],
        out: BatchOutcome,
        *,
        now: datetime,
    ) -> None:
        info = a.info
        row = phases.get((info.id, rule.key))
        current = Phase(row.phase, row.since) if row is not None else None
        new, action = step(rule, a.data[rule.field], a.device_at, current)
        if new is None and row is not None:
            session.delete(row)
            del phases[(info.id, rule.key)]
        elif new is not None and new.changed:
            if row is None:
                row = RuleState(device_id=info.id, rule_key=rule.key, phase=new.phase, since=new.since, updated_at=now)
                session.add(row)
                phases[(info.id, rule.key)] = row
            else:
                row.phase, row.since, row.updated_at = new.phase, new.since, now
        key = f"device:{info.id}:{rule.kind}"
        if action == "fire":
            if rule.alarm:
                res = alarm_service.raise_or_refresh(
                    session,
                    now=now,
                    request=AlarmRequested(
                        compound_id=info.compound_id,
                        kind=rule.kind,
                        severity=rule.severity,
                        source=f"device:{info.id}",
                        dedupe_key=key,
                        title=f"{info.place}：{rule.title}",
                        title_key="alarms.title.rule",
                        title_params={"place": info.place, "what_key": f"human.rule.{rule.key}"},
                        building_id=info.building_id,
                        unit_id=info.unit_id,
                        floor=info.floor,
                        house_id=info.house_id,
                        device_id=info.id,
                        evidence={
                            "rule": rule.key,
                            "field": rule.field,
                            "value": a.data[rule.field],
                            "threshold": rule.threshold,
                            "for_seconds": rule.for_seconds,
                            "event_id": a.event_id,
                            "device_at": a.device_at.isoformat(),
                            "device_key": info.device_key,
                        },
                        occurred_at=a.device_at.isoformat(),
                    ),
                )
                if res.created:
                    out.alarms_raised.append(res.alarm_id)
            if rule.action:
                from anju.devices.command_service import command_service

                cmd = command_service.issue_automatic(
                    session,
                    device_id=info.id,
                    compound_id=info.compound_id,
                    command=rule.action,
                    reason=f"rule {rule.key}",
                    now=now,
                )
                if cmd is not None:
                    out.commands.append(cmd)
        elif action == "clear" and rule.alarm:
            cleared = alarm_service.clear_by_source(session, compound_id=info.compound_id, dedupe_key=key, now=now)
            if cleared:
                out.alarms_cleared.append(cleared)

    def _reply(self, session: Session, a: Accepted, *, now: datetime) -> None:
        ok = bool(a.data.get("ok"))
        DeviceRepository(session).cas_command(
            None,
            correlation_id=str(a.data["correlation_id"]),
            device_id=a.info.id,
            expected=(CommandStatus.queued, CommandStatus.sent),
            values={
                "status": CommandStatus.acknowledged if ok else CommandStatus.failed,
                "acked_at": now,
                "result": a.data,
            },
        )


intake_service = IntakeService()
