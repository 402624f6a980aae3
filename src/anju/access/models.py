"""Access-control tables: access points, terminals, credentials, grants, visitors, the log, terminal lists."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.access.enums import (
    AccessPointKind,
    CredentialKind,
    CredentialStatus,
    Decision,
    DeliveryReach,
    LocationType,
    Method,
    PassKind,
    PassStatus,
)
from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.ids import BigId  # a global id (core.ids)
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin


def _enum(e: type) -> Enum:
    return Enum(e, native_enum=False, length=32, validate_strings=True)


class AccessPoint(CompoundScopedMixin, TimestampedMixin, Base):
    """A gate, door, garage door, lift or locker bank that a terminal can open."""

    __tablename__ = "access_point"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[AccessPointKind] = mapped_column(_enum(AccessPointKind))
    location_type: Mapped[LocationType] = mapped_column(_enum(LocationType))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    location: Mapped[str | None] = mapped_column(String(128))  # the place in words: "南门", "2号楼地库入口"
    plan_x: Mapped[int | None] = mapped_column(Integer)  # point on the compound site plan
    plan_y: Mapped[int | None] = mapped_column(Integer)
    evacuation_route: Mapped[bool] = mapped_column(Boolean, default=False)
    public_area: Mapped[bool] = mapped_column(Boolean, default=True)
    face_capable: Mapped[bool] = mapped_column(Boolean, default=False)  # a face camera is installed
    signage_installed: Mapped[bool] = mapped_column(Boolean, default=False)  # R-F10
    face_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # Cosine threshold for face at this point; None = the default for its kind (stricter at perimeter gates).
    face_threshold: Mapped[float | None] = mapped_column(Float)
    # Face-only entry needs the terminal's liveness flag (issue 12: liveness is done on the terminal).
    face_liveness_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    anti_passback: Mapped[bool] = mapped_column(Boolean, default=False)
    # Local time window in which the point opens for anyone but staff on shift; None = always.
    open_from: Mapped[time | None] = mapped_column(Time)
    open_until: Mapped[time | None] = mapped_column(Time)
    fail_open_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # R-F13
    fail_open_cause: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Terminal(CompoundScopedMixin, TimestampedMixin, Base):
    """A door controller / gate panel: a device with its own credential."""

    __tablename__ = "access_terminal"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    device_credential_id: Mapped[int] = mapped_column(ForeignKey("device_credential.id"), unique=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    face_capable: Mapped[bool] = mapped_column(Boolean, default=False)
    list_version: Mapped[int] = mapped_column(Integer, default=0)  # last version of its allow-list
    acked_version: Mapped[int] = mapped_column(Integer, default=0)  # highest cursor it synced from
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TerminalAccessPoint(Base):
    __tablename__ = "terminal_access_point"
    __table_args__ = (UniqueConstraint("terminal_id", "access_point_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("access_terminal.id", ondelete="CASCADE"), index=True)
    access_point_id: Mapped[int] = mapped_column(ForeignKey("access_point.id", ondelete="CASCADE"), index=True)


class FacePia(CompoundScopedMixin, Base):
    """A personal-information impact assessment for face features (R-F7); never deleted, kept ≥ 3 years."""

    __tablename__ = "face_pia"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(32))  # the model; a change needs a new PIA
    scope: Mapped[str] = mapped_column(Text)
    risks: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text)
    retention_note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    keep_until: Mapped[date] = mapped_column(Date)


class AccessCredential(CompoundScopedMixin, TimestampedMixin, Base):
    """A card, PIN, resident QR or face enrolment of a person (or of a staff user)."""

    __tablename__ = "access_credential"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CredentialKind] = mapped_column(_enum(CredentialKind), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)  # staff cards
    status: Mapped[CredentialStatus] = mapped_column(_enum(CredentialStatus), default=CredentialStatus.active)
    card_enc: Mapped[str | None] = mapped_column(Text)
    card_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    card_masked: Mapped[str | None] = mapped_column(String(32))
    # PIN: keyed digest of (scope, PIN); scope is one access point or all the holder's doors.
    pin_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    scope_access_point_id: Mapped[int | None] = mapped_column(ForeignKey("access_point.id"))
    subject_ref: Mapped[str | None] = mapped_column(String(32), index=True)  # face: opaque template key
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class AccessGrant(CompoundScopedMixin, TimestampedMixin, Base):
    """Passage for someone who is not a resident: staff by role and shift, contractors."""

    __tablename__ = "access_grant"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    kinds: Mapped[list[str]] = mapped_column(JSON)  # access point kinds
    access_point_id: Mapped[int | None] = mapped_column(ForeignKey("access_point.id"))
    shift_start: Mapped[time | None] = mapped_column(Time)  # local time; may wrap past midnight
    shift_end: Mapped[time | None] = mapped_column(Time)
    weekdays: Mapped[list[int] | None] = mapped_column(JSON)  # 0=Mon … 6=Sun; None = every day
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BlacklistEntry(CompoundScopedMixin, TimestampedMixin, Base):
    __tablename__ = "access_blacklist"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    card_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    reason: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VisitorPass(CompoundScopedMixin, TimestampedMixin, Base):
    """A visitor or courier pass: only name or phone and the host house (R-F12)."""

    __tablename__ = "visitor_pass"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PassKind] = mapped_column(_enum(PassKind), default=PassKind.visitor)
    # None only for a courier's per-shift pass issued by the desk (issue 18): it reaches gates and lockers only.
    host_house_id: Mapped[int | None] = mapped_column(ForeignKey("house.id"), index=True)
    host_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    visitor_name: Mapped[str | None] = mapped_column(String(32))
    visitor_phone_enc: Mapped[str | None] = mapped_column(Text)
    visitor_phone_masked: Mapped[str | None] = mapped_column(String(32))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    entries_allowed: Mapped[int] = mapped_column(Integer)
    entries_used: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[PassStatus] = mapped_column(_enum(PassStatus), default=PassStatus.active, index=True)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)  # registered by the guard desk
    nonce: Mapped[str] = mapped_column(String(32))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(128))
    # Issue 18: the host hears of each arrival once (the last gate entry told), and the share link is texted
    # to the visitor a bounded number of times.
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrival_log_id: Mapped[int | None] = mapped_column(Integer)
    sms_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    company: Mapped[str | None] = mapped_column(String(32))  # courier or delivery company ("顺丰", "美团")
    # A decoration worker's pass opens only within these local hours each day (issue 18); None = any time.
    daily_from: Mapped[time | None] = mapped_column(Time)
    daily_until: Mapped[time | None] = mapped_column(Time)
    source: Mapped[str | None] = mapped_column(String(32), index=True)  # "decoration:12": revoked with it


class DeliveryRule(CompoundScopedMixin, TimestampedMixin, Base):
    """A compound's rule for couriers and food-delivery riders (issue 18); no row = the defaults."""

    __tablename__ = "access_delivery_rule"
    __table_args__ = (UniqueConstraint("compound_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    courier_reach: Mapped[DeliveryReach] = mapped_column(_enum(DeliveryReach), default=DeliveryReach.lockers)
    rider_reach: Mapped[DeliveryReach] = mapped_column(_enum(DeliveryReach), default=DeliveryReach.lobby)
    courier_minutes: Mapped[int] = mapped_column(Integer, default=30)  # one delivery
    rider_minutes: Mapped[int] = mapped_column(Integer, default=45)
    shift_hours: Mapped[int] = mapped_column(Integer, default=12)  # a courier's per-shift pass at most


class AccessLog(CompoundScopedMixin, Base):
    """Every attempt, allowed or denied, online, replayed offline, or remote (R-A9: ≥ 180 days).

    On PostgreSQL the table is RANGE-partitioned by month of `server_at` (issue 19, `anju.core.partitions`; primary
    key (id, server_at) there, created by the migration); on SQLite it is one table. PostgreSQL allows no unique key
    without the partition key, so the replay key (terminal, record id) lives in `AccessLogKey`.
    """

    __tablename__ = "access_log"
    __table_args__ = (
        # Anti-passback reads a person's last passage in a compound, newest first, within a window.
        Index("ix_access_log_person_compound_at", "person_id", "compound_id", "server_at"),
        # A compound's passages in a time range (the open hour the 大屏 reads raw, issue 19).
        Index("ix_access_log_compound_server_at", "compound_id", "server_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    access_point_id: Mapped[int | None] = mapped_column(ForeignKey("access_point.id", ondelete="SET NULL"), index=True)
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("access_terminal.id", ondelete="SET NULL"))
    record_id: Mapped[str | None] = mapped_column(String(64))  # the terminal's own id: replays are idempotent
    method: Mapped[Method] = mapped_column(_enum(Method))
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    reason: Mapped[str] = mapped_column(String(48))
    direction: Mapped[str] = mapped_column(String(4), default="in")  # in | out
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # staff holder or remote operator
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("access_credential.id", ondelete="SET NULL"))
    visitor_pass_id: Mapped[int | None] = mapped_column(ForeignKey("visitor_pass.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(8), default="online")  # online | offline | remote
    server_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    device_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clock_skew_s: Mapped[int | None] = mapped_column(Integer)
    skew_flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AccessLogKey(Base):
    """The replay key of a terminal's record (its own id): a record is logged only if its key was new.

    Written in the same transaction as the log row, and pointing at it by (id, server_at), the full key of the
    partitioned log; no foreign key, so a month of log can be dropped whole. Kept as long as the rows it guards
    (purged with them by `access.purge_access_logs`).
    """

    __tablename__ = "access_log_key"
    terminal_id: Mapped[int] = mapped_column(ForeignKey("access_terminal.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    log_id: Mapped[int] = mapped_column(BigId)
    server_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class QrTokenUse(Base):
    """A resident QR token already used at an access point: a second use is a replay."""

    __tablename__ = "access_qr_use"
    __table_args__ = (UniqueConstraint("digest", "access_point_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(32))
    access_point_id: Mapped[int] = mapped_column(ForeignKey("access_point.id", ondelete="CASCADE"))
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class SigningKey(CompoundScopedMixin, Base):
    """The compound's Ed25519 key for QR codes; terminals get only the public half."""

    __tablename__ = "access_signing_key"
    __table_args__ = (UniqueConstraint("compound_id", "kid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(16))
    private_enc: Mapped[str] = mapped_column(Text)
    public_b64: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TerminalListEntry(Base):
    """One entry of a terminal's offline allow-list; deletions stay as tombstones with no payload."""

    __tablename__ = "terminal_list_entry"
    __table_args__ = (UniqueConstraint("terminal_id", "entry_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("access_terminal.id", ondelete="CASCADE"), index=True)
    entry_key: Mapped[str] = mapped_column(String(48))  # "cred:12", "face:<ref>", "pass:7", "point:3"
    version: Mapped[int] = mapped_column(Integer, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TerminalPush(Base):
    """A "sync now" notice to a terminal over MQTT; failures are retried and recorded."""

    __tablename__ = "terminal_push"
    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("access_terminal.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="sync")  # sync | open
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class FaceFiling(Base):
    """R-F8: a processor reached the filing threshold; the filing is due in 30 working days."""

    __tablename__ = "face_filing"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), unique=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    people: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    filed_on: Mapped[date | None] = mapped_column(Date)


class AccessHourly(Base):
    """Passages per compound, hour, access point, direction, decision, method and visitor-or-not (issue 19 rollup).

    Kept by `anju.access.rollups` (the leased job core.rollups); outlives the raw log's retention."""

    __tablename__ = "access_hourly"
    compound_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)  # UTC hour start
    access_point_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0: no point
    direction: Mapped[str] = mapped_column(String(4), primary_key=True)
    decision: Mapped[str] = mapped_column(String(16), primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    visitor: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
