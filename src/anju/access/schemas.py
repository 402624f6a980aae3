"""Access API schemas."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, model_validator

from anju.access.enums import (
    AccessPointKind,
    CredentialKind,
    CredentialStatus,
    DeliveryReach,
    LocationType,
    PassKind,
    PassStatus,
)
from anju.core.schemas import InSchema, Schema


class AccessPointCreate(InSchema):
    compound_id: int
    name: str = Field(max_length=64)
    kind: AccessPointKind
    location_type: LocationType
    building_id: int | None = None
    unit_id: int | None = None
    location: str | None = Field(None, max_length=128)
    plan_x: int | None = Field(None, ge=-100_000, le=100_000)
    plan_y: int | None = Field(None, ge=-100_000, le=100_000)
    evacuation_route: bool = False
    public_area: bool = True
    face_capable: bool = False
    signage_installed: bool = False
    anti_passback: bool = False
    open_from: time | None = None
    open_until: time | None = None
    face_threshold: float | None = Field(None, ge=0.2, le=0.95)  # cosine; None = the default for the kind
    face_liveness_required: bool = False


class AccessPointUpdate(InSchema):
    name: str | None = Field(None, max_length=64)
    location_type: LocationType | None = None
    location: str | None = Field(None, max_length=128)
    plan_x: int | None = Field(None, ge=-100_000, le=100_000)
    plan_y: int | None = Field(None, ge=-100_000, le=100_000)
    evacuation_route: bool | None = None
    face_capable: bool | None = None
    signage_installed: bool | None = None
    face_enabled: bool | None = None
    anti_passback: bool | None = None
    open_from: time | None = None
    open_until: time | None = None
    active: bool | None = None
    face_threshold: float | None = Field(None, ge=0.2, le=0.95)  # null resets to the default for the kind
    face_liveness_required: bool | None = None


class AccessPointRead(Schema):
    id: int
    compound_id: int
    name: str
    kind: AccessPointKind
    location_type: LocationType
    building_id: int | None
    unit_id: int | None
    location: str | None = None
    plan_x: int | None = None
    plan_y: int | None = None
    evacuation_route: bool
    face_capable: bool
    signage_installed: bool
    face_enabled: bool
    face_threshold: float | None
    face_liveness_required: bool
    anti_passback: bool
    open_from: time | None
    open_until: time | None
    fail_open_since: datetime | None
    fail_open_cause: str | None
    active: bool


MAX_TERMINAL_POINTS = 32  # a door controller drives a handful of doors; a lift bank a few cars


def distinct_ids(ids: list[int]) -> list[int]:
    """A list of ids without repeats (a repeat is a client error, not a second row)."""
    if len(set(ids)) != len(ids):
        raise ValueError("access point ids must not repeat")
    return ids


TerminalPointIds = Annotated[list[int], Field(max_length=MAX_TERMINAL_POINTS), AfterValidator(distinct_ids)]


class TerminalCreate(InSchema):
    compound_id: int
    name: str = Field(max_length=64)
    face_capable: bool = False
    access_point_ids: TerminalPointIds = Field(min_length=1)


class TerminalRead(Schema):
    id: int
    compound_id: int
    name: str
    key_id: str
    face_capable: bool
    list_version: int
    acked_version: int
    last_sync_at: datetime | None
    access_point_ids: list[int] = []


class TerminalCreated(TerminalRead):
    secret: str  # shown once


class PiaCreate(InSchema):
    compound_id: int
    assessed_on: date
    purpose: str = Field(max_length=128)
    scope: str
    risks: str
    measures: str
    retention_note: str | None = None


class PiaRead(Schema):
    id: int
    compound_id: int
    assessed_on: date
    purpose: str
    method: str
    scope: str
    keep_until: date


class CardIssue(InSchema):
    person_id: int | None = None
    user_id: int | None = None
    compound_id: int
    card_number: str = Field(min_length=4, max_length=32, pattern=r"^[0-9A-Fa-f]+$")
    valid_until: AwareDatetime | None = None


class PinSet(InSchema):
    person_id: int
    pin: str = Field(min_length=6, max_length=8, pattern=r"^[0-9]+$")
    access_point_id: int | None = None  # None: every door the holder may pass


class CredentialRead(Schema):
    id: int
    compound_id: int
    kind: CredentialKind
    person_id: int | None
    user_id: int | None
    status: CredentialStatus
    card_masked: str | None
    scope_access_point_id: int | None
    valid_until: datetime | None
    revoked_at: datetime | None
    revoked_reason: str | None
    created_at: datetime


class ResidentQrRead(Schema):
    token: str
    credential_id: int
    window: int
    expires_at: datetime
    refresh_after_seconds: int


class FaceConsentCreate(InSchema):
    person_id: int
    notice_version: str = Field(max_length=32)
    given_by: Literal["self", "guardian"] = "self"
    # The consent screen's own checkbox: never pre-ticked, must be sent explicitly (R-F2).
    agreed: bool

    @model_validator(mode="after")
    def _explicit(self) -> FaceConsentCreate:
        if self.agreed is not True:
            raise ValueError("consent must be given explicitly")
        return self


class ConsentRead(Schema):
    id: int
    person_id: int
    purpose: str
    notice_version: str
    given_at: datetime
    given_by: str
    withdrawn_at: datetime | None


class FaceEnrolled(Schema):
    credential_id: int
    subject_ref: str
    templates: int
    photo_kept: bool


class FaceWithdrawn(Schema):
    person_id: int
    templates_deleted: int
    terminals_notified: list[int]
    deadline: datetime


class FaceStats(Schema):
    people_with_face_data: int
    warn_at: int
    filing_at: int
    warning: bool
    filing_due_on: date | None


class BlacklistCreate(InSchema):
    compound_id: int
    person_id: int | None = None
    card_number: str | None = Field(None, max_length=32)
    reason: str = Field(max_length=255)


class BlacklistRead(Schema):
    id: int
    compound_id: int
    person_id: int | None
    reason: str
    active: bool
    created_at: datetime


class GrantCreate(InSchema):
    compound_id: int
    user_id: int | None = None
    person_id: int | None = None
    kinds: list[AccessPointKind] = []
    access_point_id: int | None = None
    shift_start: time | None = None
    shift_end: time | None = None
    weekdays: list[int] | None = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class GrantRead(Schema):
    id: int
    compound_id: int
    user_id: int | None
    person_id: int | None
    kinds: list[str]
    access_point_id: int | None
    shift_start: time | None
    shift_end: time | None
    valid_until: datetime | None


class RemoteOpen(InSchema):
    reason: str = Field(min_length=2, max_length=128)


class CredentialIn(InSchema):
    kind: Literal["card", "pin", "qr", "face_embedding"]
    value: str | list[float]
    # For face_embedding: the model that made the vector ("sface_2021dec/int8bq-fb143eea0783", as in the
    # terminal's sync payload); a vector of another or unnamed model is denied, never compared.
    model: str | None = Field(None, max_length=64)


class DecisionRequest(InSchema):
    access_point_id: int
    credential: CredentialIn
    direction: Literal["in", "out"] = "in"
    device_time: AwareDatetime | None = None
    record_id: str | None = Field(None, max_length=64)
    liveness: bool | None = None  # the terminal's liveness verdict for a face; recorded with the decision


class DecisionRead(Schema):
    decision: Literal["allow", "deny"]
    reason: str
    display: str  # zh text for the terminal's screen
    voice: str  # zh text for its speaker
    log_id: int | None
    open_seconds: int = 0
    floors: list[int] = []
    clock_skew_s: int | None = None
    skew_flagged: bool = False


class OfflineRecord(InSchema):
    record_id: str = Field(max_length=64)
    access_point_id: int
    method: Literal["card", "qr", "visitor_qr", "face", "pin", "fail_open"]
    decision: Literal["allow", "deny"]
    reason: str = Field("offline", max_length=48)
    direction: Literal["in", "out"] = "in"
    device_time: AwareDatetime
    credential_id: int | None = None
    visitor_pass_id: int | None = None


class OfflineBatch(InSchema):
    records: list[OfflineRecord] = Field(max_length=1000)


class ReplayResult(Schema):
    inserted: int
    duplicates: int
    rejected: list[dict[str, Any]]


class SyncEntry(Schema):
    key: str
    version: int
    deleted: bool
    payload: dict[str, Any] | None


class SyncRead(Schema):
    terminal_id: int
    since: int
    version: int
    more: bool
    full: bool
    server_time: datetime
    public_keys: list[str]
    card_salt: str
    qr_window_seconds: int
    entries: list[SyncEntry]


class VisitorPassCreate(InSchema):
    # Required, except for a courier's per-shift pass issued by the desk (issue 18: gates and lockers only).
    host_house_id: int | None = None
    visitor_name: str | None = Field(None, max_length=32)
    visitor_phone: str | None = Field(None, pattern=r"^1[0-9]{10}$")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime
    entries: int = Field(1, ge=1, le=20)
    kind: PassKind = PassKind.visitor
    needs_approval: bool = False
    note: str | None = Field(None, max_length=128)
    per_shift: bool = False  # issue 18: a courier's pass for a shift (desk only), not for one delivery
    compound_id: int | None = None  # a shift pass has no host house: the desk's compound
    company: str | None = Field(None, max_length=32)  # courier or delivery company

    @model_validator(mode="after")
    def _name_or_phone(self) -> VisitorPassCreate:
        if not self.visitor_name and not self.visitor_phone:
            raise ValueError("give the visitor's name or phone")
        if self.per_shift and self.kind != PassKind.courier:
            raise ValueError("only a courier's pass can be per shift")
        if self.host_house_id is None and not self.per_shift:
            raise ValueError("give the host house")
        return self


class WalkInCreate(InSchema):
    host_house_id: int
    visitor_name: str | None = Field(None, max_length=32)
    visitor_phone: str | None = Field(None, pattern=r"^1[0-9]{10}$")
    minutes: int = Field(120, ge=5, le=24 * 60)
    kind: PassKind = PassKind.visitor
    note: str | None = Field(None, max_length=128)

    @model_validator(mode="after")
    def _name_or_phone(self) -> WalkInCreate:
        if not self.visitor_name and not self.visitor_phone:
            raise ValueError("give the visitor's name or phone")
        return self


class VisitorPassRead(Schema):
    id: int
    compound_id: int
    kind: PassKind
    host_house_id: int | None
    company: str | None = None
    visitor_name: str | None
    visitor_phone_masked: str | None
    valid_from: datetime
    valid_until: datetime
    entries_allowed: int
    entries_used: int
    status: PassStatus
    walk_in: bool
    created_at: datetime


class VisitorPassIssued(VisitorPassRead):
    qr: str
    host_call: dict[str, Any] | None = None


class FeedItem(Schema):
    id: int
    at: datetime
    point: str | None
    method: str
    decision: str
    reason: str
    who: str | None
    visitor: str | None
    blacklist: bool


class VisitorShareLinkRead(Schema):
    """A pass's share link (issue 18): the visitor opens it without signing in; it ends with the pass."""

    path: str
    url: str
    expires_at: datetime


class VisitorShareSent(Schema):
    """The link was queued as an SMS to the visitor's phone (sent by the worker after commit)."""

    pass_id: int
    phone_masked: str | None
    sms_sent: int
    sms_left: int


class DeliveryRuleRead(Schema):
    """A compound's rule for couriers and riders (issue 18): how far they go, how long a pass lasts."""

    compound_id: int
    courier_reach: DeliveryReach
    rider_reach: DeliveryReach
    courier_minutes: int
    rider_minutes: int
    shift_hours: int


class DeliveryRuleUpdate(InSchema):
    courier_reach: DeliveryReach | None = None
    rider_reach: DeliveryReach | None = None
    courier_minutes: int | None = Field(None, ge=5, le=240)
    rider_minutes: int | None = Field(None, ge=5, le=240)
    shift_hours: int | None = Field(None, ge=1, le=24)
