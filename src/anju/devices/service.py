"""Device registry rules: register with a location in the compound and a secret, heartbeats (R-A6), retention."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.alarms.events import AlarmRequested
from anju.alarms.service import alarm_service
from anju.core.auth import Principal
from anju.core.crypto import encrypt
from anju.core.db import utcnow
from anju.core.errors import NotFound
from anju.devices.config import device_settings
from anju.devices.enums import DeviceType
from anju.devices.exceptions import (
    BadDeviceLocation,
    ChargerWithoutAutoCutoff,
    DeviceKeyTaken,
    DeviceNotFound,
)
from anju.devices.models import Device, DeviceCommand, DeviceMessage, DeviceRuleSet, DeviceState, GatewaySession
from anju.devices.repository import DeviceRepository
from anju.devices.schemas import DeviceCreate

OFFLINE_KIND = "device_offline"
SESSION_LOST_KIND = "gateway_session_lost"
SECRET_CONTEXT = "device.secret"


def offline_key(device_id: int) -> str:
    return f"device:{device_id}:{OFFLINE_KIND}"


def place(device: Device) -> str:
    return device.location or device.name


def check_rules(device_type: DeviceType, rules: list[dict[str, object]]) -> None:
    """Refuse overrides that would break intake (wrong types, unknown operators)."""
    from anju.core.errors import Invalid
    from anju.devices.rules import DEFAULT_RULES, merge_rules

    def bad(i: int, why: str) -> Invalid:
        return Invalid(f"rule {i}: {why}", fields=[{"field": f"rules.{i}", "message": why, "type": "rule"}])

    for i, r in enumerate(rules):
        if not isinstance(r.get("key"), str) or not 0 < len(str(r["key"])) <= 48:
            raise bad(i, "key: a string of 1–48 characters")
    merged = merge_rules(DEFAULT_RULES.get(device_type, []), rules)
    defaults = {d.key for d in DEFAULT_RULES.get(device_type, [])}
    for i, r in enumerate(rules):
        if r["key"] not in defaults and r.get("enabled", True) and r["key"] not in {m.key for m in merged}:
            raise bad(i, "a new rule needs field, op, threshold, kind, severity and title")
    for i, m in enumerate(merged):
        num = (int, float)
        if m.op not in ("gt", "ge", "lt", "le", "eq", "true"):
            raise bad(i, f"op {m.op!r}: gt, ge, lt, le, eq or true")
        if m.numeric and (isinstance(m.threshold, bool) or not isinstance(m.threshold, num)):
            raise bad(i, "threshold must be a number")
        if m.clear_threshold is not None and (
            isinstance(m.clear_threshold, bool) or not isinstance(m.clear_threshold, num)
        ):
            raise bad(i, "clear_threshold must be a number")
        for name in ("for_seconds", "clear_for_seconds"):
            v = getattr(m, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 86400:
                raise bad(i, f"{name}: whole seconds, 0–86400")
        if m.severity not in ("critical", "major", "minor", "info"):
            raise bad(i, "severity: critical, major, minor or info")
        for name in ("field", "kind", "title"):
            v = getattr(m, name)
            if not isinstance(v, str) or not 0 < len(v) <= (255 if name == "title" else 32):
                raise bad(i, f"{name}: a short string")
        if m.action is not None and m.action not in ("cut_power", "mute", "open_door", "reset"):
            raise bad(i, "action: cut_power, mute, open_door or reset")


class DeviceService:
    def register(
        self, session: Session, *, by: Principal | None, data: DeviceCreate, secret: str | None = None
    ) -> tuple[Device, str]:
        """Register a device; returns it and its secret (shown once, stored encrypted)."""
        if by is not None and not by.in_scope(data.compound_id):
            raise NotFound(f"compound {data.compound_id}")
        repo = DeviceRepository(session)
        if repo.key_exists(data.device_key):
            raise DeviceKeyTaken(f"device key {data.device_key} exists")
        self._check_location(session, data)
        secret = secret or secrets.token_urlsafe(24)
        if data.device_type == DeviceType.ebike_charger and data.capabilities.get("auto_cutoff") is not True:
            # R-S2: only a charging station that cuts off by itself when full may be installed.
            raise ChargerWithoutAutoCutoff(f"device {data.device_key}: capabilities.auto_cutoff must be true")
        device = Device(**data.model_dump(), secret_enc=encrypt(secret, context=SECRET_CONTEXT))
        session.add(device)
        session.flush()
        return device, secret

    def _check_location(self, session: Session, data: DeviceCreate) -> None:
        from anju.registry.models import Building, House, Unit

        for model, value in ((Building, data.building_id), (Unit, data.unit_id), (House, data.house_id)):
            if value is None:
                continue
            cid = session.execute(select(model.compound_id).where(model.id == value)).scalar_one_or_none()
            if cid != data.compound_id:
                raise BadDeviceLocation(f"{model.__tablename__} {value} is not in compound {data.compound_id}")

    def get(self, session: Session, *, by: Principal, device_id: int) -> Device:
        device = DeviceRepository(session).get_readable(by, device_id)
        if device is None:
            raise DeviceNotFound(f"device {device_id}")
        return device

    def recent_activity(self, session: Session, *, device: Device) -> tuple[list[DeviceMessage], list[DeviceCommand]]:
        """A device's last 20 messages and last 10 commands, newest first (the device panel)."""
        repo = DeviceRepository(session)
        return repo.recent_messages(device.id), repo.recent_commands(device.id)

    def set_rules(
        self,
        session: Session,
        *,
        by: Principal,
        compound_id: int,
        device_type: DeviceType,
        rules: list[dict[str, object]],
    ) -> DeviceRuleSet:
        """Replace a compound's overrides for one device type (merged over the defaults by key)."""
        if not by.in_scope(compound_id):
            raise NotFound(f"compound {compound_id}")
        check_rules(device_type, rules)
        row = session.execute(
            select(DeviceRuleSet).where(
                DeviceRuleSet.compound_id == compound_id, DeviceRuleSet.device_type == device_type
            )
        ).scalar_one_or_none()
        if row is None:
            row = DeviceRuleSet(compound_id=compound_id, device_type=device_type, rules=rules)
            session.add(row)
        else:
            row.rules = rules
        session.flush()
        return row

    def mark_offline_overdue(self, session: Session, *, now: datetime | None = None) -> list[int]:
        """R-A6: a device silent for 3 heartbeat intervals goes offline and raises one offline alarm."""
        now = now or utcnow()
        repo = DeviceRepository(session)
        intervals = device_settings().devices_offline_intervals
        went: list[int] = []
        # In device order, as the intake locks device states: the two can never wait on each other in a cycle.
        overdue = sorted(repo.overdue(now=now, intervals=intervals), key=lambda ds: ds[0].id)
        for device, state in overdue:
            assert state.last_seen_at is not None
            if not repo.cas_offline(device.id, seen_at=state.last_seen_at, now=now):
                continue  # it spoke again, or another worker got there first
            silent = int((now - state.last_seen_at).total_seconds())
            alarm_service.raise_or_refresh(
                session,
                now=now,
                request=AlarmRequested(
                    compound_id=device.compound_id,
                    kind=OFFLINE_KIND,
                    severity="minor",
                    source=f"device:{device.id}",
                    dedupe_key=offline_key(device.id),
                    title=f"{place(device)}：设备离线",
                    title_key="alarms.title.rule",
                    title_params={"place": place(device), "what_key": f"alarms.kind.{OFFLINE_KIND}"},
                    building_id=device.building_id,
                    unit_id=device.unit_id,
                    floor=device.floor,
                    house_id=device.house_id,
                    device_id=device.id,
                    evidence={
                        "last_seen_at": state.last_seen_at.isoformat(),
                        "silent_seconds": silent,
                        "heartbeat_seconds": device.heartbeat_seconds,
                        "missed": intervals,
                    },
                    occurred_at=now.isoformat(),
                ),
            )
            went.append(device.id)
        return went

    def purge(self, session: Session, *, now: datetime | None = None, limit: int | None = None) -> int:
        """One batch of telemetry, dead letters and dedupe keys past retention (alarms are separate and kept, R-A8).

        Returns the larger of the two batches: less than `limit` means nothing is left to delete.
        """
        now = now or utcnow()
        s = device_settings()
        limit = limit or s.devices_purge_batch
        repo = DeviceRepository(session)
        n = repo.purge_messages(before=now - timedelta(days=s.devices_retention_days), limit=limit)
        d = repo.purge_dead_letters(before=now - timedelta(days=s.devices_dead_letter_retention_days), limit=limit)
        k = repo.purge_message_keys(before=now - timedelta(days=s.devices_dedupe_key_days), limit=limit)
        return max(n, d, k)

    # --- the gateway's broker session (issue 20 item 12) ------------------------------------------
    def gateway_connected(
        self, session: Session, *, client_id: str, broker: str, session_present: bool, now: datetime | None = None
    ) -> list[int]:
        """Record a gateway (re)connect; a persistent session the broker should still hold but lost is an alarm.

        Expected: this client id connected before and was last seen within the session expiry. Then
        `session present: False` means the broker dropped the session and every message it had queued.
        Returns the alarms raised (one per compound with active devices; the alarm centre is per compound).
        """
        now = now or utcnow()
        expiry = timedelta(seconds=device_settings().mqtt_session_expiry_seconds)
        row = session.get(GatewaySession, client_id, with_for_update=True)
        if row is None:
            session.add(GatewaySession(client_id=client_id, broker=broker[:255], first_connected_at=now, seen_at=now))
            session.flush()
            return []  # the very first connect: the broker never had our session
        last_seen = row.seen_at
        expected = last_seen >= now - expiry
        row.broker, row.seen_at = broker[:255], now
        if session_present or not expected:
            session.flush()
            return []
        row.losses += 1
        row.last_loss_at = now
        session.flush()
        compounds = session.execute(select(Device.compound_id).where(Device.active.is_(True)).distinct()).scalars()
        raised = []
        for compound_id in sorted(compounds):
            res = alarm_service.raise_or_refresh(
                session,
                now=now,
                request=AlarmRequested(
                    compound_id=compound_id,
                    kind=SESSION_LOST_KIND,
                    severity="major",
                    source=f"gateway:{client_id}"[:64],
                    dedupe_key=f"gateway:{client_id}:session_lost"[:128],
                    title="设备网关与消息服务器的会话丢失，期间设备消息可能已丢失",
                    evidence={
                        "client_id": client_id,
                        "broker": broker,
                        "last_seen_at": last_seen.isoformat(),
                        "losses": row.losses,
                    },
                    occurred_at=now.isoformat(),
                ),
            )
            raised.append(res.alarm_id)
        return raised

    def gateway_seen(self, session: Session, *, client_id: str, now: datetime | None = None) -> None:
        """The gateway is connected and alive (keeps `seen_at` fresh for the expiry comparison above)."""
        row = session.get(GatewaySession, client_id)
        if row is not None:
            row.seen_at = now or utcnow()
            session.flush()


device_service = DeviceService()


@dataclass(frozen=True)
class DeviceFact:
    """One active device as the map reads it: type, place, site-plan point and connection state."""

    id: int
    compound_id: int
    name: str
    device_type: str
    building_id: int | None
    location: str | None
    plan_x: int | None
    plan_y: int | None
    status: str


def device_facts(session: Session, *, compound_ids: list[int]) -> list[DeviceFact]:
    """Active devices of some compounds with their state (unknown when never heard from)."""
    stmt = (
        select(
            Device.id,
            Device.compound_id,
            Device.name,
            Device.device_type,
            Device.building_id,
            Device.location,
            Device.plan_x,
            Device.plan_y,
            DeviceState.status,
        )
        .outerjoin(DeviceState, DeviceState.device_id == Device.id)
        .where(Device.compound_id.in_(compound_ids), Device.active.is_(True))
        .order_by(Device.id)
    )
    return [
        DeviceFact(i, c, n, str(t), b, loc, x, y, str(st) if st is not None else "unknown")
        for i, c, n, t, b, loc, x, y, st in session.execute(stmt)
    ]


@dataclass(frozen=True)
class ReadingCount:
    """Device messages of one compound, hour and kind, and how many devices sent them (issue 19)."""

    compound_id: int
    hour: datetime  # UTC hour start
    kind: str
    messages: int
    devices: int


def reading_counts(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime | None = None
) -> list[ReadingCount]:
    """Messages received in [since, until) per compound, hour and kind: closed hours from the hourly rollup
    (`anju.devices.rollups`), the rest from the telemetry store. A partial hour at an edge counts only its part."""
    from sqlalchemy import distinct, func

    from anju.core.rollup import epoch_hour, from_epoch_hour, split
    from anju.devices.models import DeviceHourly, DeviceMessage
    from anju.devices.rollups import NAME

    plan = split(session, NAME, since, until)
    out: dict[tuple[int, datetime, str], tuple[int, int]] = {}

    def add(c: int, hour: datetime, kind: str, n: int, d: int) -> None:
        n0, d0 = out.get((c, hour, kind), (0, 0))
        out[(c, hour, kind)] = (n0 + n, max(d0, d))  # an hour split at an edge: the larger sender count

    m = DeviceMessage
    for a, b in plan.raw:
        h = epoch_hour(session, m.received_at)
        stmt = (
            select(m.compound_id, h, m.kind, func.count(), func.count(distinct(m.device_id)))
            .where(m.compound_id.in_(compound_ids), m.received_at >= a)
            .group_by(m.compound_id, h, m.kind)
        )
        if b is not None:
            stmt = stmt.where(m.received_at < b)
        for c, hr, k, n, d in session.execute(stmt):
            add(int(c), from_epoch_hour(hr), str(k), int(n), int(d))
    if plan.rolled is not None:
        r = DeviceHourly
        for c, hour, k, n, d in session.execute(
            select(r.compound_id, r.hour, r.kind, r.messages, r.devices).where(
                r.compound_id.in_(compound_ids), r.hour >= plan.rolled[0], r.hour < plan.rolled[1]
            )
        ):
            add(int(c), hour, str(k), int(n), int(d))
    return [ReadingCount(c, h, k, n, d) for (c, h, k), (n, d) in sorted(out.items())]


@dataclass(frozen=True)
class OnlineHours:
    """Device-hours of one compound over whole hours (issue 15): `online` ÷ `total` is the device online rate."""

    compound_id: int
    online: int  # device-hours in which the device was heard (at most the hour's registered devices)
    total: int  # device-hours of the active devices with a heartbeat of at most an hour, from their registration

    @property
    def rate(self) -> float | None:
        return round(100.0 * self.online / self.total, 1) if self.total else None


def online_device_hours(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime
) -> dict[int, OnlineHours]:
    """Device-hours online ÷ device-hours over the whole hours inside [since, until), per compound.

    A device-hour is online when the device sent anything in that hour (heartbeats included). Only active devices
    whose heartbeat is at most an hour take part; each counts from the hour it was registered. Closed hours come
    from the hourly rollup `devices.online`, the rest from the telemetry store."""
    from collections import defaultdict

    from anju.core.rollup import HOUR, from_epoch_hour, hour_ceil, hour_floor, split
    from anju.devices.models import DeviceOnlineHourly
    from anju.devices.rollups import HOURLY_HEARTBEAT, ONLINE, online_query

    start, end = hour_ceil(since), hour_floor(until)
    out = {c: OnlineHours(c, 0, 0) for c in compound_ids}
    if end <= start or not compound_ids:
        return out
    heard: dict[tuple[int, datetime], int] = defaultdict(int)
    plan = split(session, ONLINE, start, end)
    for a, b in plan.raw:
        for c, hr, d in session.execute(online_query(session, a, b, compound_ids)):
            heard[(int(c), from_epoch_hour(hr))] += int(d)
    if plan.rolled is not None:
        r = DeviceOnlineHourly
        for c, hour, d in session.execute(
            select(r.compound_id, r.hour, r.devices).where(
                r.compound_id.in_(compound_ids), r.hour >= plan.rolled[0], r.hour < plan.rolled[1]
            )
        ):
            heard[(int(c), hour)] += int(d)
    # registered devices per compound as of each hour: a step function over their registration hours
    joined: dict[int, list[datetime]] = defaultdict(list)
    for c, created in session.execute(
        select(Device.compound_id, Device.created_at).where(
            Device.compound_id.in_(compound_ids),
            Device.active.is_(True),
            Device.heartbeat_seconds <= HOURLY_HEARTBEAT,
            Device.created_at < end,
        )
    ):
        joined[int(c)].append(max(hour_floor(created), start))
    for c in compound_ids:
        steps = sorted(joined.get(c, []))
        online = total = i = 0
        hour = start
        while hour < end:
            while i < len(steps) and steps[i] <= hour:
                i += 1
            total += i
            online += min(heard.get((c, hour), 0), i)
            hour += HOUR
        out[c] = OnlineHours(c, online, total)
    return out
