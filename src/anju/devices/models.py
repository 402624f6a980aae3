"""Device tables: registry, latest state, telemetry store, dead letters, rule config and state, commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.ids import BigId  # a global id (core.ids)
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin
from anju.devices.enums import CommandName, CommandStatus, DeviceStatus, DeviceType


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class Device(CompoundScopedMixin, TimestampedMixin, Base):
    """A registered device with its location, vendor and own secret (stored encrypted for HMAC checks)."""

    __tablename__ = "device"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_key: Mapped[str] = mapped_column(String(64), unique=True)  # the MQTT topic segment, e.g. "SMK-3-1-12"
    name: Mapped[str] = mapped_column(String(64))
    device_type: Mapped[DeviceType] = mapped_column(_enum(DeviceType), index=True)
    vendor: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(64))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    floor: Mapped[int | None] = mapped_column(Integer)
    house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"))
    location: Mapped[str | None] = mapped_column(String(128))  # "3号楼1单元12层前室", "泵房"
    plan_x: Mapped[int | None] = mapped_column(Integer)  # point on the compound site plan
    plan_y: Mapped[int | None] = mapped_column(Integer)
    # AES-GCM ciphertext of the device secret: HMAC verification needs the secret itself,
    # a one-way hash (as for passwords) cannot check a signature.
    secret_enc: Mapped[str] = mapped_column(Text)
    heartbeat_seconds: Mapped[int] = mapped_column(Integer, default=60)  # R-A6 default interval
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {"auto_cutoff": true} (R-S2)
    active: Mapped[bool] = mapped_column(default=True)


class DeviceState(Base):
    """Latest known state of a device: one row per device, upserted by intake."""

    __tablename__ = "device_state"
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    compound_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[DeviceStatus] = mapped_column(_enum(DeviceStatus), default=DeviceStatus.unknown)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)  # server receive time
    last_device_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # device clock
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # latest value of each field
    offline_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeviceMessage(Base):
    """Telemetry store: every accepted message once (R9), the once kept by `DeviceMessageKey`.

    On PostgreSQL the table is RANGE-partitioned by month of `received_at` (issue 19, `anju.core.partitions`;
    primary key (id, received_at) there, created by the migration); on SQLite it is one table. PostgreSQL allows
    no unique key without the partition key, and a resent message carries a new receive time, so the dedupe key
    (device_id, event_id) lives in the non-partitioned `device_message_key`, written in the same transaction.
    """

    __tablename__ = "device_message"
    __table_args__ = (Index("ix_device_message_device_received", "device_id", "received_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    compound_id: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(12))
    device_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeviceMessageKey(Base):
    """The dedupe key of every stored device message (R9): a message is stored only if its key was new.

    Kept longer than any resend can arrive: intake refuses a message whose device time is older than
    `devices_max_past_seconds`, so a key older than that window plus the future tolerance can go
    (`devices_dedupe_key_days`), long before the message itself (`devices_retention_days`).
    """

    __tablename__ = "device_message_key"
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class DeadLetter(Base):
    """A rejected message with the reason; never blocks intake."""

    __tablename__ = "device_dead_letter"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    transport: Mapped[str] = mapped_column(String(8))  # mqtt | http
    topic: Mapped[str | None] = mapped_column(String(255))
    device_key: Mapped[str | None] = mapped_column(String(64))
    compound_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(32), index=True)  # malformed_json, bad_signature, …
    detail: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    excerpt: Mapped[str | None] = mapped_column(Text)  # first bytes only, never the whole (maybe huge) payload


class DeviceRuleSet(Base):
    """A compound's overrides of the default rules of one device type (JSON list, merged by rule key)."""

    __tablename__ = "device_rule_set"
    __table_args__ = (UniqueConstraint("compound_id", "device_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    device_type: Mapped[DeviceType] = mapped_column(_enum(DeviceType))
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class RuleState(Base):
    """Where a (device, rule) is in its pending → active → clearing cycle; absent means normal."""

    __tablename__ = "device_rule_state"
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(48), primary_key=True)
    phase: Mapped[str] = mapped_column(String(12))  # pending | active | clearing
    since: Mapped[datetime] = mapped_column(UTCDateTime())  # device time the phase began
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeviceCommand(CompoundScopedMixin, Base):
    """A command to a device, acknowledged on the reply topic by correlation id, or timed out."""

    __tablename__ = "device_command"
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    correlation_id: Mapped[str] = mapped_column(String(64), unique=True)
    command: Mapped[CommandName] = mapped_column(_enum(CommandName))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[CommandStatus] = mapped_column(_enum(CommandStatus), default=CommandStatus.queued, index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: automation (a rule)
    reason: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class GatewaySession(Base):
    """What a gateway's MQTT client id knows of its persistent broker session (issue 20 item 12).

    A gateway connecting with `session present: False` although it had a session that should still be
    alive means the broker lost it, and with it every message queued meanwhile: an alarm, never silence.
    """

    __tablename__ = "gateway_session"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    broker: Mapped[str] = mapped_column(String(255))
    first_connected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # last sign of life while connected
    losses: Mapped[int] = mapped_column(Integer, default=0)  # sessions the broker lost (a counter metric)
    last_loss_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeviceHourly(Base):
    """Device messages per compound, hour of receipt and message kind, and how many devices sent them (issue 19).

    Kept by `anju.devices.rollups`; `devices` is the hour's distinct senders (online in that hour)."""

    __tablename__ = "device_hourly"
    compound_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)  # UTC hour start of received_at
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    devices: Mapped[int] = mapped_column(Integer, default=0)


class DeviceOnlineHourly(Base):
    """Device-hours online per compound and hour (issue 15): the distinct devices heard in the hour, counting only
    devices that must speak at least hourly (heartbeat ≤ 1 h). Kept by `anju.devices.rollups`; read by
    `service.online_device_hours` for the online rate (device-hours online ÷ device-hours)."""

    __tablename__ = "device_online_hourly"
    compound_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)  # UTC hour start of received_at
    devices: Mapped[int] = mapped_column(Integer, default=0)
